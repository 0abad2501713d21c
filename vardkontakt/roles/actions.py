"""Granting and revoking roles. Each action checks policy, runs in one transaction and is logged."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import PLATFORM_ROLES, REGION_ROLES, UNIT_ROLES, Role, RoleGrant
from vardkontakt.roles.policy import can_grant, can_revoke


def _validate(
    role: str, unit: Unit | None, region: Region | None, valid_from: datetime, valid_to: datetime | None
) -> None:
    if role not in Role.values:
        raise ValidationError(_("Okänd roll."), code="role")
    if role in UNIT_ROLES and (unit is None or region is not None):
        raise ValidationError(_("Rollen gäller en vårdenhet: ange enheten."), code="scope")
    if role in REGION_ROLES and (region is None or unit is not None):
        raise ValidationError(_("Rollen gäller en region: ange regionen."), code="scope")
    if role in PLATFORM_ROLES and (region is not None or unit is not None):
        raise ValidationError(_("Rollen gäller hela plattformen."), code="scope")
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationError(_("Slutdatum måste vara efter startdatum."), code="period")


def _create(
    *,
    granted_by: Staff | None,
    staff: Staff,
    role: str,
    unit: Unit | None,
    region: Region | None,
    valid_from: datetime | None,
    valid_to: datetime | None,
    reference: str,
) -> RoleGrant:
    start = valid_from or timezone.now()
    _validate(role, unit, region, start, valid_to)
    grant = RoleGrant.objects.create(
        staff=staff,
        role=role,
        unit=unit,
        region=region,
        granted_by=granted_by,
        valid_from=start,
        valid_to=valid_to,
        reference=reference,
    )
    record(
        actor=granted_by.user if granted_by else None,
        action="role.grant",
        object_type="RoleGrant",
        object_id=grant.pk,
        unit=unit,
    )
    return grant


@transaction.atomic
def grant_role(
    actor: Staff,
    staff: Staff,
    role: str,
    *,
    unit: Unit | None = None,
    region: Region | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    reference: str = "",
) -> RoleGrant:
    if not can_grant(actor, role, unit=unit, region=region):
        raise PermissionDenied(_("Du får inte dela ut den här rollen här."))
    return _create(
        granted_by=actor,
        staff=staff,
        role=role,
        unit=unit,
        region=region,
        valid_from=valid_from,
        valid_to=valid_to,
        reference=reference,
    )


@transaction.atomic
def grant_role_by_operator(
    staff: Staff, role: str, *, unit: Unit | None = None, region: Region | None = None, reference: str = ""
) -> RoleGrant:
    """For the operator's command line and the demo seed: no granting member of staff."""
    return _create(
        granted_by=None,
        staff=staff,
        role=role,
        unit=unit,
        region=region,
        valid_from=None,
        valid_to=None,
        reference=reference,
    )


@transaction.atomic
def revoke_role(actor: Staff, grant_id: int) -> RoleGrant:
    grant = RoleGrant.objects.select_for_update().filter(pk=grant_id, revoked_at__isnull=True).first()
    if grant is None or not can_revoke(actor, grant):
        raise PermissionDenied(_("Behörigheten finns inte eller så får du inte ta bort den."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor=actor.user, action="role.revoke", object_type="RoleGrant", object_id=grant.pk, unit=grant.unit
    )
    return grant
