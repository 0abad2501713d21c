"""The background task that sends one notification (django-tasks; the database backend in production,
the immediate backend in tests). A failed send is retried later and never raises."""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

from vardkontakt.notifications.delivery import Outcome, deliver

logger = logging.getLogger(__name__)


@task()
def send_notification(notification_id: str) -> str:
    try:
        result = deliver(notification_id)
    except Exception as exc:  # a database hiccup: the row stays due, and the sweeper sends it later
        logger.error("notification %s: delivery failed: %s", notification_id, type(exc).__name__)
        return "error"
    if result.outcome is Outcome.RETRY and result.retry_at is not None:
        reschedule(notification_id, result.retry_at)
    return result.outcome.value


def reschedule(notification_id: str, retry_at: datetime) -> None:
    """Enqueue the next attempt at its time, where the task backend can defer. Where it cannot (the
    immediate backend), the row waits for `manage.py send_notifications`, which sends whatever is due."""
    if not send_notification.get_backend().supports_defer:
        return
    try:
        send_notification.using(run_after=retry_at).enqueue(notification_id)
    except Exception as exc:
        logger.error("notification %s: could not enqueue a retry: %s", notification_id, type(exc).__name__)


def enqueue(notification_ids: list[str]) -> None:
    """Schedule sending; called after commit. A failure to enqueue leaves the rows for the sweeper."""
    for notification_id in notification_ids:
        try:
            send_notification.enqueue(notification_id)
        except Exception as exc:
            logger.error("notification %s: could not enqueue: %s", notification_id, type(exc).__name__)
