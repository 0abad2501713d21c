from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff


class Role(models.TextChoices):
    LOCAL_ADMIN = "LOCAL_ADMIN", _("Lokal administratör")
    ACCESS_ADMIN = "ACCESS_ADMIN", _("Behörighetsadministratör")
    CASE_RECEIVER = "CASE_RECEIVER", _("Ärendemottagare")
    CASE_HANDLER = "CASE_HANDLER", _("Ärendehanterare")
    LOG_REVIEWER = "LOG_REVIEWER", _("Granskare")
    UNIT_MANAGER = "UNIT_MANAGER", _("Verksamhetschef")
    ACCOUNT_ADMIN = "ACCOUNT_ADMIN", _("Kontoadministratör")
    REGION_ADMIN = "REGION_ADMIN", _("Regionadministratör")
    SUPPORT = "SUPPORT", _("Support")


UNIT_ROLES = frozenset(
    {
        Role.LOCAL_ADMIN,
        Role.ACCESS_ADMIN,
        Role.CASE_RECEIVER,
        Role.CASE_HANDLER,
        Role.LOG_REVIEWER,
        Role.UNIT_MANAGER,
    }
)
REGION_ROLES = frozenset({Role.ACCOUNT_ADMIN, Role.REGION_ADMIN})
PLATFORM_ROLES = frozenset({Role.SUPPORT})


class RoleGrantQuerySet(models.QuerySet["RoleGrant"]):
    # Each condition is one Q in a single filter() call: every filter() clones the query, and these
    # querysets are built on every request (the request's grants, the handler list).
    @staticmethod
    def _not_ended_at(at: object) -> Q:
        return Q(revoked_at__isnull=True) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))

    def not_ended(self, at: object = None) -> RoleGrantQuerySet:
        """Grants not revoked and not past their end at ``at`` (now): in force, or not yet begun."""
        return self.filter(self._not_ended_at(at or timezone.now()))

    def in_force(self, at: object = None, **where: object) -> RoleGrantQuerySet:
        """Grants in force at ``at`` (now); ``where``: further conditions, in the same filter()."""
        at = at or timezone.now()
        return self.filter(self._not_ended_at(at), valid_from__lte=at, **where)


class RoleGrant(models.Model):
    """One role held by one member of staff at one unit (or region, or the platform), for a period."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    granted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_to = models.DateTimeField(null=True, blank=True)
    # The needs-and-risk analysis (behovs- och riskanalys) the grant rests on.
    reference = models.CharField(max_length=200, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["staff", "role"], name="rolegrant_staff_role"),
            models.Index(fields=["unit", "role"], name="rolegrant_unit_role"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="rolegrant_role_valid"),
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(UNIT_ROLES), unit__isnull=False, region__isnull=True)
                    | Q(role__in=sorted(REGION_ROLES), unit__isnull=True, region__isnull=False)
                    | Q(role__in=sorted(PLATFORM_ROLES), unit__isnull=True, region__isnull=True)
                ),
                name="rolegrant_scope_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="rolegrant_period_valid",
            ),
            # Two open-ended grants of one role to one person at one scope always overlap: the
            # database refuses the second one even if the code is wrong. Overlapping periods with an
            # end are refused by the grant action, which locks the member's row and checks
            # (roles.actions._refuse_overlap); a portable constraint cannot compare periods. One
            # constraint per kind of scope, since NULLs are distinct in a unique index.
            models.UniqueConstraint(
                fields=["staff", "role", "unit"],
                condition=Q(unit__isnull=False, revoked_at__isnull=True, valid_to__isnull=True),
                name="rolegrant_one_open_unit_grant",
            ),
            models.UniqueConstraint(
                fields=["staff", "role", "region"],
                condition=Q(region__isnull=False, revoked_at__isnull=True, valid_to__isnull=True),
                name="rolegrant_one_open_region_grant",
            ),
            models.UniqueConstraint(
                fields=["staff", "role"],
                condition=Q(
                    unit__isnull=True, region__isnull=True, revoked_at__isnull=True, valid_to__isnull=True
                ),
                name="rolegrant_one_open_platform_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.staff_id}"

    @property
    def scope(self) -> Unit | Region | None:
        return self.unit or self.region

    @property
    def last_day(self) -> date | None:
        """The last day the grant holds (``valid_to`` is the exclusive end), in local time."""
        if self.valid_to is None:
            return None
        return timezone.localtime(self.valid_to - timedelta(microseconds=1)).date()

    def ended(self, at: datetime | None = None) -> bool:
        """Revoked, or past its end: kept for the history, never in force again."""
        now = at or timezone.now()
        return self.revoked_at is not None or (self.valid_to is not None and self.valid_to <= now)


class GrantEvent(models.TextChoices):
    GRANTED = "granted", _("Tilldelad")
    REVOKED = "revoked", _("Borttagen")
    END_SET = "end_set", _("Slutdatum ändrat")


class RoleGrantEvent(models.Model):
    """The history of role administration: one row per grant, revocation or change of end date.

    It names the scope itself (the unit or the region), so a region role's history records its
    region; the access log, which has a unit column only, records the same events tamper-evidently."""

    grant = models.ForeignKey(RoleGrant, on_delete=models.PROTECT, related_name="events")
    event = models.CharField(max_length=10, choices=GrantEvent.choices)
    actor = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    role = models.CharField(max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    valid_to = models.DateTimeField(null=True, blank=True)  # the grant's end after the event

    class Meta:
        indexes = [models.Index(fields=["unit", "at"], name="rolegrantevent_unit_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(event__in=GrantEvent.values), name="rolegrantevent_event_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.grant_id}"
