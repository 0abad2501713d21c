"""The outbox of content-free notifications, and who wants which.

A notification row is written in the transaction of the change it announces, so a rolled-back change
leaves none, and a committed one is never lost: whatever a worker did not send, `send_notifications`
sends later. The row holds no content: only the channel, the sealed address, what kind of event it is
and the language to say it in. The words themselves are fixed (notifications/texts.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.crypto.fields import EncryptedText
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Resident, Staff


class Channel(models.TextChoices):
    EMAIL = "email", _("E-post")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    RESIDENT_NEW_MESSAGE = "resident_new_message", _("Nytt meddelande till invånare")
    STAFF_NEW_CASE = "staff_new_case", _("Nytt ärende på mottagningen")
    STAFF_ASSIGNED = "staff_assigned", _("Ärende fördelat till mig")


class Language(models.TextChoices):
    SV = "sv", _("Svenska")
    EN = "en", _("English")


class Notification(models.Model):
    """One e-mail or SMS to one address: due at ``next_attempt_at`` until ``sent_at`` is set.

    ``next_attempt_at`` is null once the attempts are used up. ``last_error`` names what went wrong
    (an exception class, an HTTP status) and never an address or a text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.SV)
    recipient_sealed = models.BinaryField()
    recipient = EncryptedText("recipient_sealed")
    # Named in the staff texts ("Ett nytt ärende har kommit till <unit>."): not personal data.
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            # The sweeper's query: unsent rows that are due, oldest first.
            models.Index(
                fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="notification_due"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notification_channel_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind_valid"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="notification_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Notification {self.id} ({self.channel}, {self.kind})"

    @property
    def given_up(self) -> bool:
        return self.sent_at is None and self.attempts >= settings.VK_NOTIFY_MAX_ATTEMPTS


class StaffNotificationPreference(models.Model):
    """A member of staff's own choice: notify me (by e-mail and/or SMS) of new cases at the clinics
    where I receive cases, and of cases assigned to me. Off until they turn it on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.OneToOneField(Staff, on_delete=models.CASCADE, related_name="notification_preference")
    email_sealed = models.BinaryField(null=True, blank=True)
    email = EncryptedText("email_sealed")
    mobile_sealed = models.BinaryField(null=True, blank=True)
    mobile = EncryptedText("mobile_sealed")
    on_new_case = models.BooleanField(default=False)
    on_assignment = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"StaffNotificationPreference {self.id}"


class ResidentLanguage(models.Model):
    """The language a resident last used, for their notifications: Swedish unless this says English."""

    resident = models.OneToOneField(
        Resident, on_delete=models.CASCADE, primary_key=True, related_name="notification_language"
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.SV)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="residentlanguage_language_valid"
            )
        ]

    def __str__(self) -> str:
        return f"ResidentLanguage {self.resident_id}"


class UnitNotificationDefaults(models.Model):
    """The clinic's defaults for its staff's notification choices, set by its local administrators.

    They are what a member who has not yet saved choices of their own (no StaffNotificationPreference)
    is offered on their notification page: checked if any clinic where they hold a role has it on.
    Vårdkontakt knows no address of theirs until they give one, so nothing is sent on a default
    alone; once they save, their own choice holds, and a later change of the defaults leaves it be."""

    unit = models.OneToOneField(
        Unit, on_delete=models.CASCADE, primary_key=True, related_name="notification_defaults"
    )
    on_new_case = models.BooleanField(default=False)
    on_assignment = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"UnitNotificationDefaults {self.unit_id}"
