"""Staff are notified only when they have asked to be: of new cases where they receive cases, and of
cases assigned to them. Content-free."""

from __future__ import annotations

from typing import Any

from django.core import mail

from vardkontakt.conftest import Demo
from vardkontakt.notifications.actions import set_staff_preferences
from vardkontakt.notifications.models import Notification
from vardkontakt.notifications.tests.notify_world import distribute, everything_sent, forbidden_words, send


def _opt_in(
    demo: Demo, key: str, *, new_case: bool = False, assignment: bool = False, mobile: str = ""
) -> None:
    set_staff_preferences(
        demo.member(key),
        email=f"{key}@vard.example",
        mobile=mobile,
        on_new_case=new_case,
        on_assignment=assignment,
    )


def test_receiver_who_opted_in_hears_of_a_new_case(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    _opt_in(demo, "maria", new_case=True)
    with django_capture_on_commit_callbacks(execute=True):
        case = send(demo)
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (
            ["maria@vard.example"],
            "Nytt ärende i Vårdkontakt",
            "Ett nytt ärende har kommit till Vårdcentral Solna.",
        )
    ]
    text = everything_sent()
    for word in forbidden_words(demo, case):
        assert word not in text


def test_nobody_hears_by_default(demo: Demo, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = send(demo)
        distribute(demo, case)
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_opted_out_and_other_clinics_hear_nothing(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    _opt_in(demo, "maria", new_case=False, assignment=True)  # wants assignments only
    _opt_in(demo, "hans", new_case=True)  # a handler, not a receiver: new cases are not his
    with django_capture_on_commit_callbacks(execute=True):
        send(demo)
    assert mail.outbox == []


def test_receiver_at_another_clinic_hears_nothing(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    _opt_in(demo, "maria", new_case=True)
    with django_capture_on_commit_callbacks(execute=True):
        send(demo, resident="lars", unit="ortopeden")
    assert all(m.to != ["maria@vard.example"] for m in mail.outbox)


def test_handler_who_opted_in_hears_of_an_assignment(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    _opt_in(demo, "hans", assignment=True, mobile="070-111 22 33")
    case = send(demo)
    with django_capture_on_commit_callbacks(execute=True):
        distribute(demo, case)
    assert [(m.to, m.body) for m in mail.outbox] == [
        (["hans@vard.example"], "Ett ärende har fördelats till dig.")
    ]
    assert Notification.objects.filter(channel="sms", sent_at__isnull=False).count() == 1
    text = everything_sent()
    for word in forbidden_words(demo, case):
        assert word not in text


def test_handler_who_did_not_opt_in_hears_nothing_of_an_assignment(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    _opt_in(demo, "hans", new_case=True, assignment=False)
    case = send(demo)
    with django_capture_on_commit_callbacks(execute=True):
        distribute(demo, case)
    assert mail.outbox == []
