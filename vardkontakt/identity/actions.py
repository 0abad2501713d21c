"""State changes of a resident's own account."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from vardkontakt.identity.models import Resident


@transaction.atomic
def record_consent(resident: Resident) -> None:
    """First login: the resident consents to digital communication and accepts the terms."""
    Resident.objects.filter(pk=resident.pk, consented_at__isnull=True).update(consented_at=timezone.now())


@transaction.atomic
def set_notification_addresses(resident: Resident, *, email: str, mobile: str) -> None:
    """Where content-free notifications go. Only the resident changes these (after a step-up)."""
    locked = Resident.objects.select_for_update().get(pk=resident.pk)
    locked.notify_email = email
    locked.notify_mobile = mobile
    locked.save(update_fields=["notify_email_sealed", "notify_mobile_sealed"])
