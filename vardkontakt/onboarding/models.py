"""A unit's way on and off the platform: its connection lifecycle, applications, local-admin requests.

``Unit.status`` (directory) is the directory's projection of the lifecycle: only the actions of this
app set it (ACTIVE when a connection becomes active, INACTIVE when it ends)."""

from __future__ import annotations

import hashlib
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.crypto.fields import EncryptedText
from vardkontakt.directory.models import Unit
from vardkontakt.identity.hsa import validate_hsa_id
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import RoleGrant

REASON_MAX = 500


class Lifecycle(models.TextChoices):
    """The states of a unit's connection. A unit without a ``Connection`` row is in ``NOT_APPLIED``,
    unless the directory already had it ACTIVE or INACTIVE (connected before this app existed)."""

    NOT_APPLIED = "", _("Inte ansluten")
    APPLIED = "applied", _("Ansökan inskickad")
    APPROVED = "approved", _("Ansökan godkänd")
    ACTIVE = "active", _("Ansluten")
    DEACTIVATION_REQUESTED = "deactivation_requested", _("Inaktivering begärd")
    INACTIVE = "inactive", _("Inaktiverad")
    REJECTED = "rejected", _("Ansökan avslagen")


# Every change of state the system allows, and nothing else (actions._transition). A rejected or
# inactivated unit may apply again; a unit that asked to leave may stay after all (cancelled).
TRANSITIONS: dict[str, frozenset[str]] = {
    Lifecycle.NOT_APPLIED: frozenset({Lifecycle.APPLIED}),
    Lifecycle.APPLIED: frozenset({Lifecycle.APPROVED, Lifecycle.REJECTED}),
    Lifecycle.APPROVED: frozenset({Lifecycle.ACTIVE}),
    Lifecycle.ACTIVE: frozenset({Lifecycle.DEACTIVATION_REQUESTED}),
    Lifecycle.DEACTIVATION_REQUESTED: frozenset({Lifecycle.ACTIVE, Lifecycle.INACTIVE}),
    Lifecycle.INACTIVE: frozenset({Lifecycle.APPLIED}),
    Lifecycle.REJECTED: frozenset({Lifecycle.APPLIED}),
}


class Connection(models.Model):
    """The lifecycle state of one unit (anslutning). Changed only by ``actions._transition``."""

    unit = models.OneToOneField(Unit, on_delete=models.PROTECT, primary_key=True, related_name="connection")
    state = models.CharField(max_length=32, choices=Lifecycle.choices, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "changed_at"], name="connection_state_changed")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=Lifecycle.values), name="connection_state_valid")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.state}"


class Decision(models.TextChoices):
    PENDING = "pending", _("Väntar på beslut")
    APPROVED = "approved", _("Godkänd")
    REJECTED = "rejected", _("Avslagen")


def token_digest(token: str) -> str:
    """What is stored of an applicant's status link: its SHA-256, so the database alone opens nothing."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class Application(models.Model):
    """A connection application (anslutningsansökan) from the head of a unit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="connection_applications")
    applicant_name = models.CharField(max_length=200)
    contact_email_sealed = models.BinaryField()
    contact_email = EncryptedText("contact_email_sealed")
    language = models.CharField(max_length=8, default="sv")  # of the e-mails to the applicant
    services = models.JSONField(default=list)  # EService values
    token_digest = models.CharField(max_length=64, unique=True)  # of the status link (token_digest)
    submitted_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=REASON_MAX, blank=True)

    class Meta:
        indexes = [models.Index(fields=["decision", "submitted_at"], name="application_decision_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=Decision.values), name="application_decision_valid"
            ),
            # One pending application per unit, even if the code is wrong.
            models.UniqueConstraint(
                fields=["unit"], condition=Q(decision="pending"), name="application_one_pending_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"Application {self.id}"


class ProposedAdmin(models.Model):
    """A local administrator the application proposes; granted LOCAL_ADMIN when it is approved."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="admins")
    hsa_id = models.CharField(max_length=31, validators=[validate_hsa_id])
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "hsa_id"], name="proposedadmin_unique")]

    def __str__(self) -> str:
        return self.hsa_id

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class ConnectionChange(models.Model):
    """The history of a unit's lifecycle: one row per change, never edited. ``by`` is empty when the
    applicant (who has no login) made the change by submitting an application."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="connection_history")
    from_state = models.CharField(max_length=32, choices=Lifecycle.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=Lifecycle.choices)
    by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=REASON_MAX, blank=True)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )

    class Meta:
        indexes = [models.Index(fields=["unit", "at"], name="connectionchange_unit_at")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.from_state} -> {self.to_state}"


class LocalAdminRequest(models.Model):
    """A unit manager asks the region for a (further) local administrator at the unit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="local_admin_requests")
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    hsa_id = models.CharField(max_length=31, validators=[validate_hsa_id])
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    reason = models.CharField(max_length=REASON_MAX, blank=True)  # why the unit needs one
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=REASON_MAX, blank=True)
    grant = models.OneToOneField(
        RoleGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="local_admin_request"
    )

    class Meta:
        indexes = [models.Index(fields=["decision", "requested_at"], name="ladminrequest_decision_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=Decision.values), name="ladminrequest_decision_valid"
            ),
            models.UniqueConstraint(
                fields=["unit", "hsa_id"],
                condition=Q(decision="pending"),
                name="ladminrequest_one_pending_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"LocalAdminRequest {self.id}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def reference(self) -> str:
        """What the resulting grant records as the ground it rests on."""
        return f"Begäran om lokal administratör {self.id}"
