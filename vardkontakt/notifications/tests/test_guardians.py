"""A child under 13 is reached through the guardians who act for them; a 14-year-old is not."""

from __future__ import annotations

from typing import Any

from django.core import mail

from vardkontakt.conftest import Demo
from vardkontakt.identity.actions import set_notification_addresses
from vardkontakt.notifications.actions import notify_resident_new_message


def test_the_guardian_of_a_child_under_13_is_notified(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    set_notification_addresses(demo.resident("anna"), email="anna@example.se", mobile="")
    with django_capture_on_commit_callbacks(execute=True):
        notify_resident_new_message(demo.resident("elsa"))
    assert [message.to for message in mail.outbox] == [["anna@example.se"]]
    assert mail.outbox[0].body.startswith("Du har ett nytt meddelande i Vårdkontakt.")


def test_the_guardian_of_a_14_year_old_is_not(demo: Demo, django_capture_on_commit_callbacks: Any) -> None:
    set_notification_addresses(demo.resident("anna"), email="anna@example.se", mobile="")
    with django_capture_on_commit_callbacks(execute=True):
        notify_resident_new_message(demo.resident("oskar"))
    assert mail.outbox == []
