from __future__ import annotations

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
    def in_force(self, at: object = None) -> RoleGrantQuerySet:
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, valid_from__lte=at).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=at)
        )


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
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.staff_id}"

    @property
    def scope(self) -> Unit | Region | None:
        return self.unit or self.region
