"""Residents get one content-free notification per new message from the clinic, after commit only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from vardkontakt.conftest import Demo
from vardkontakt.notifications.actions import notify_resident_new_message, remember_language
from vardkontakt.notifications.models import Channel, Notification
from vardkontakt.notifications.tests.notify_world import (
    ANNA_EMAIL,
    ANNA_MOBILE,
    answer,
    distribute,
    everything_sent,
    forbidden_words,
    give_anna_addresses,
    send,
)

SV_TEXT = (
    "Du har ett nytt meddelande i Vårdkontakt. Logga in för att läsa det. "
    "Du kan inte svara på detta meddelande."
)
EN_TEXT = "You have a new message in Vårdkontakt. Log in to read it. You cannot reply to this message."


@pytest.fixture
def distributed(demo: Demo) -> Any:
    give_anna_addresses(demo)
    case = send(demo)
    distribute(demo, case)
    return case


def test_an_answer_sends_exactly_one_content_free_email_after_commit(
    demo: Demo, distributed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer(demo, distributed)
        assert mail.outbox == []  # nothing before the commit
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ANNA_EMAIL]
    assert message.subject == "Nytt meddelande i Vårdkontakt"
    assert message.body == SV_TEXT
    row = Notification.objects.get()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert ANNA_EMAIL.encode() not in bytes(row.recipient_sealed)
    text = everything_sent()
    for word in forbidden_words(demo, distributed):
        assert word not in text


def test_a_rolled_back_answer_sends_nothing(
    demo: Demo, distributed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        answer(demo, distributed)
        raise RuntimeError("the request failed after the answer")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_no_address_no_notification(demo: Demo, django_capture_on_commit_callbacks: Any) -> None:
    case = send(demo)
    distribute(demo, case)
    with django_capture_on_commit_callbacks(execute=True):
        answer(demo, case)
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_an_interim_reply_notifies_the_resident(demo: Demo, django_capture_on_commit_callbacks: Any) -> None:
    give_anna_addresses(demo)
    case = send(demo)
    with django_capture_on_commit_callbacks(execute=True):
        distribute(demo, case, interim="Vi återkommer")
    assert [m.body for m in mail.outbox] == [SV_TEXT]


def test_distribution_without_interim_does_not_notify_the_resident(
    demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    give_anna_addresses(demo)
    case = send(demo)
    with django_capture_on_commit_callbacks(execute=True):
        distribute(demo, case)
    assert mail.outbox == []


def test_english_when_the_resident_last_used_english(
    demo: Demo, distributed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    remember_language(demo.resident("anna"), "en")
    with django_capture_on_commit_callbacks(execute=True):
        answer(demo, distributed)
    assert [(m.subject, m.body) for m in mail.outbox] == [("New message in Vårdkontakt", EN_TEXT)]


def test_email_and_sms_both_go_out(demo: Demo, django_capture_on_commit_callbacks: Any) -> None:
    give_anna_addresses(demo, mobile=ANNA_MOBILE)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify_resident_new_message(demo.resident("anna"))
    assert sorted(r.channel for r in rows) == [Channel.EMAIL, Channel.SMS]
    assert Notification.objects.filter(sent_at__isnull=False).count() == 2
    assert len(mail.outbox) == 1


def test_a_deceased_resident_gets_nothing(demo: Demo) -> None:
    give_anna_addresses(demo)
    anna = demo.resident("anna")
    anna.deceased = True
    assert notify_resident_new_message(anna) == []
