"""Sending one outbox row: claim it, send it, record the outcome. Shared by the task and the command.

A row is claimed by one conditional UPDATE (still unsent, still due, attempts left) that counts the
attempt and pushes ``next_attempt_at`` a lease ahead, so two workers never send it at once, on SQLite
and PostgreSQL alike. A worker that dies mid-send leaves the row due again once the lease runs out:
at least once, never lost. A failure is recorded without personal data and tried again later, with a
growing delay, until VK_NOTIFY_MAX_ATTEMPTS is used up.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, QuerySet
from django.utils import timezone

from vardkontakt.notifications import sms
from vardkontakt.notifications.models import Channel, Notification
from vardkontakt.notifications.texts import text_for

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 6 * 60 * 60


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # failed; due again at ``Result.retry_at``
    GAVE_UP = "gave_up"  # failed, and no attempts are left
    SKIPPED = "skipped"  # already sent, not yet due, taken by another worker, or given up earlier


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_at: datetime | None = None


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the base delay, doubling, at most six hours."""
    seconds = settings.VK_NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def due(now: datetime | None = None) -> QuerySet[Notification]:
    now = now or timezone.now()
    return Notification.objects.filter(
        sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=settings.VK_NOTIFY_MAX_ATTEMPTS
    )


def _claim(notification_id: uuid.UUID | str) -> Notification | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.VK_NOTIFY_LEASE_SECONDS)
    taken = due(now).filter(pk=notification_id).update(attempts=F("attempts") + 1, next_attempt_at=lease)
    if taken != 1:
        return None
    return Notification.objects.select_related("unit").get(pk=notification_id)


def _transmit(row: Notification) -> None:
    text = text_for(row.kind, row.language, unit_name=row.unit.name if row.unit else "")
    if row.channel == Channel.EMAIL:
        EmailMessage(
            subject=text.subject,
            body=text.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[row.recipient],
            headers={"Auto-Submitted": "auto-generated"},
        ).send(fail_silently=False)
    else:
        sms.get_backend().send(row.recipient, text.body, kind=row.kind)


def describe(exc: BaseException) -> str:
    """What went wrong, fit to store and log: our own SMS errors say it safely; anything else (an SMTP
    refusal quotes the address) is named by its class only."""
    if isinstance(exc, sms.SmsError):
        return str(exc)[:200]
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"[:200]
    return type(exc).__name__[:200]


def deliver(notification_id: uuid.UUID | str) -> Result:
    """Send one outbox row if it is due. Never raises for a failed send."""
    row = _claim(notification_id)
    if row is None:
        return Result(Outcome.SKIPPED)
    try:
        _transmit(row)
    except Exception as exc:
        error = describe(exc)
        now = timezone.now()
        if row.attempts >= settings.VK_NOTIFY_MAX_ATTEMPTS:
            Notification.objects.filter(pk=row.pk).update(last_error=error, next_attempt_at=None)
            logger.error(
                "notification %s (%s, %s) gave up after %d attempts: %s",
                row.pk,
                row.channel,
                row.kind,
                row.attempts,
                error,
            )
            return Result(Outcome.GAVE_UP)
        retry_at = now + backoff(row.attempts)
        Notification.objects.filter(pk=row.pk).update(last_error=error, next_attempt_at=retry_at)
        logger.warning(
            "notification %s (%s, %s) attempt %d failed: %s",
            row.pk,
            row.channel,
            row.kind,
            row.attempts,
            error,
        )
        return Result(Outcome.RETRY, retry_at)
    Notification.objects.filter(pk=row.pk).update(sent_at=timezone.now(), next_attempt_at=None, last_error="")
    return Result(Outcome.SENT)
