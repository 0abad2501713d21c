"""A failed send is recorded without personal data, retried later with a growing delay, and never
breaks the case action; whatever a stopped worker left is sent by `send_notifications`."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from vardkontakt.cases.models import CaseStatus
from vardkontakt.conftest import Demo
from vardkontakt.notifications import sms
from vardkontakt.notifications.actions import notify_resident_new_message
from vardkontakt.notifications.delivery import Outcome, backoff, deliver
from vardkontakt.notifications.models import Notification
from vardkontakt.notifications.tests.notify_world import (
    ANNA_EMAIL,
    ANNA_MOBILE,
    answer,
    distribute,
    give_anna_addresses,
    send,
)


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError(f"cannot reach SMTP for {ANNA_EMAIL}")


class FailingSms:
    def send(self, to: str, text: str, *, kind: str) -> None:
        raise sms.SmsError("SMS gateway answered HTTP 500")


FAILING_EMAIL = "vardkontakt.notifications.tests.test_retry.FailingEmailBackend"


def _due_now(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_failing_backend_never_breaks_the_answer_and_is_retried_later(
    demo: Demo, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = FAILING_EMAIL
    give_anna_addresses(demo)
    case = send(demo)
    distribute(demo, case)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        answered = answer(demo, case)
    assert answered.status == CaseStatus.ANSWERED
    case.refresh_from_db()
    assert case.status == CaseStatus.ANSWERED
    row = Notification.objects.get()
    assert row.sent_at is None and row.attempts == 1
    assert row.last_error == "ConnectionRefusedError"  # the class only: the message quotes the address
    assert row.next_attempt_at is not None
    assert row.next_attempt_at >= before + timedelta(seconds=settings.VK_NOTIFY_RETRY_SECONDS)

    # Not yet due: the sweeper leaves it.
    call_command("send_notifications", stdout=StringIO())
    row.refresh_from_db()
    assert row.attempts == 1

    # The retry time has come and the mail server is back.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _due_now(row)
    out = StringIO()
    call_command("send_notifications", stdout=out)
    assert "sent=1" in out.getvalue()
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert [m.to for m in mail.outbox] == [[ANNA_EMAIL]]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


def test_gives_up_after_the_last_attempt(demo: Demo, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.VK_NOTIFY_MAX_ATTEMPTS = 3
    monkeypatch.setattr(sms, "get_backend", FailingSms)
    give_anna_addresses(demo, email="", mobile=ANNA_MOBILE)
    [row] = notify_resident_new_message(demo.resident("anna"))
    outcomes = []
    for _attempt in range(3):
        _due_now(row)
        outcomes.append(deliver(row.pk).outcome)
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.GAVE_UP]
    row.refresh_from_db()
    assert row.attempts == 3 and row.sent_at is None and row.next_attempt_at is None and row.given_up
    assert row.last_error == "SMS gateway answered HTTP 500"
    _due_now(row)  # even if something makes it look due again, no attempts are left
    assert deliver(row.pk).outcome is Outcome.SKIPPED


def test_a_row_is_sent_once_even_if_asked_twice(demo: Demo) -> None:
    give_anna_addresses(demo)
    [row] = notify_resident_new_message(demo.resident("anna"))
    assert deliver(row.pk).outcome is Outcome.SENT
    assert deliver(row.pk).outcome is Outcome.SKIPPED
    assert len(mail.outbox) == 1


def test_a_row_another_worker_holds_is_left_alone_until_its_lease_runs_out(demo: Demo) -> None:
    give_anna_addresses(demo)
    [row] = notify_resident_new_message(demo.resident("anna"))
    # A worker claimed it and died mid-send: attempts counted, due again only after the lease.
    Notification.objects.filter(pk=row.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=10)
    )
    call_command("send_notifications", stdout=StringIO())
    assert mail.outbox == []
    _due_now(row)
    call_command("send_notifications", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_what_a_crashed_worker_never_ran_is_sent_by_the_sweeper(
    demo: Demo, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """With the database task backend, the answer enqueues a task; no worker runs it (it crashed)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    give_anna_addresses(demo, mobile=ANNA_MOBILE)
    case = send(demo)
    distribute(demo, case)
    with django_capture_on_commit_callbacks(execute=True):
        answer(demo, case)
    assert DBTaskResult.objects.filter(task_path__endswith="send_notification").count() == 2
    assert Notification.objects.filter(sent_at__isnull=True).count() == 2
    out = StringIO()
    call_command("send_notifications", stdout=out)
    assert "sent=2" in out.getvalue()
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0
    assert len(mail.outbox) == 1


def test_a_deferring_backend_gets_the_retry_enqueued_at_its_time(
    demo: Demo, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vardkontakt.notifications.tasks import send_notification

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(sms, "get_backend", FailingSms)
    give_anna_addresses(demo, email="", mobile=ANNA_MOBILE)
    [row] = notify_resident_new_message(demo.resident("anna"))
    assert send_notification.call(str(row.pk)) == "retry"
    row.refresh_from_db()
    retry = DBTaskResult.objects.get(task_path__endswith="send_notification")
    assert retry.run_after == row.next_attempt_at
    assert retry.args_kwargs["args"] == [str(row.pk)]
