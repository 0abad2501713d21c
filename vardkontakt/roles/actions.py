"""Granting and revoking roles. Each action checks policy, runs in one transaction and is logged twice:
in the access log (tamper-evident) and in the grant's history (``RoleGrantEvent``, which names the
unit or the region)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.actions import create_staff
from vardkontakt.identity.hsa import normalize_hsa_id
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import (
    PLATFORM_ROLES,
    REGION_ROLES,
    UNIT_ROLES,
    GrantEvent,
    Role,
    RoleGrant,
    RoleGrantEvent,
)
from vardkontakt.roles.policy import (
    can_grant,
    can_revoke,
    is_region_admin_of,
    local_admins_left,
    may_remove_last_local_admin,
)


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


def _refuse_overlap(
    staff: Staff, role: str, unit: Unit | None, region: Region | None, start: datetime, end: datetime | None
) -> None:
    """One person holds one role at one scope once at a time. The member's row is locked first, so two
    administrators granting the same role at once are served one after the other and the second one
    sees the first one's grant (PostgreSQL; SQLite serialises writers anyway)."""
    Staff.objects.select_for_update().filter(pk=staff.pk).first()
    overlapping = RoleGrant.objects.not_ended(start).filter(staff=staff, role=role, unit=unit, region=region)
    if end is not None:
        overlapping = overlapping.filter(valid_from__lt=end)
    if overlapping.exists():
        raise ValidationError(
            _("%(name)s har redan rollen %(role)s här under hela eller delar av perioden."),
            code="duplicate",
            params={"name": staff.full_name, "role": Role(role).label},
        )


def _history(grant: RoleGrant, event: str, actor: Staff | None) -> None:
    RoleGrantEvent.objects.create(
        grant=grant,
        event=event,
        actor=actor,
        role=grant.role,
        unit=grant.unit,
        region=grant.region,
        valid_to=grant.valid_to,
    )


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
    now = timezone.now()
    if valid_from is not None and timezone.localdate(valid_from) < timezone.localdate(now):
        raise ValidationError(
            _("Startdatum kan inte vara bakåt i tiden. Välj i dag eller senare."), code="past"
        )
    start = max(valid_from or now, now)
    _validate(role, unit, region, start, valid_to)
    _refuse_overlap(staff, role, unit, region, start, valid_to)
    grant = RoleGrant.objects.create(
        staff=staff,
        role=role,
        unit=unit,
        region=region,
        granted_by=granted_by,
        granted_at=now,
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
    _history(grant, GrantEvent.GRANTED, granted_by)
    return grant


def _required_reference(reference: str) -> str:
    """The needs-and-risk analysis (or the request) a grant in the staff tool rests on."""
    if not reference.strip():
        raise ValidationError(_("Ange en referens till behovs- och riskanalysen."), code="reference")
    return reference.strip()


def _refuse_unless_grantable(
    actor: Staff, staff: Staff | None, role: str, unit: Unit | None, region: Region | None
) -> None:
    if can_grant(actor, role, unit=unit, region=region):
        return
    if staff is not None and staff.pk == actor.pk:
        raise PermissionDenied(_("Du kan inte ge dig själv en roll som du inte får dela ut."))
    raise PermissionDenied(_("Du får inte dela ut den här rollen här."))


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
    reference: str,
) -> RoleGrant:
    """``actor`` grants ``role`` to ``staff`` from ``valid_from`` (now if not given; never in the past)
    until ``valid_to`` (exclusive; open-ended if not given). ``reference`` names the needs-and-risk
    analysis (behovs- och riskanalys) the grant rests on and is required."""
    _refuse_unless_grantable(actor, staff, role, unit, region)
    return _create(
        granted_by=actor,
        staff=staff,
        role=role,
        unit=unit,
        region=region,
        valid_from=valid_from,
        valid_to=valid_to,
        reference=_required_reference(reference),
    )


@transaction.atomic
def grant_role_by_hsa_id(
    actor: Staff,
    hsa_id: str,
    role: str,
    *,
    unit: Unit,
    valid_from: datetime | None,
    valid_to: datetime | None,
    reference: str,
    given_name: str = "",
    family_name: str = "",
) -> RoleGrant:
    """The staff tool's grant: the person is named by HSA-id.

    A valid HSA-id that Vårdkontakt has never seen may be granted a role: SITHS login only lets in
    staff that exist here with a role, so the first grant is what lets a new colleague in. Then the
    administrator gives the name, and the member is created in this same transaction, so a refused
    grant leaves no member behind."""
    canonical = normalize_hsa_id(hsa_id)
    staff = Staff.objects.filter(hsa_id=canonical).first()
    _refuse_unless_grantable(actor, staff, role, unit, None)
    if staff is None:
        if not (given_name.strip() and family_name.strip()):
            raise ValidationError(
                _(
                    "Det finns ingen medarbetare med HSA-id %(hsa_id)s i Vårdkontakt. Kontrollera HSA-id:t, "
                    "eller ange förnamn och efternamn för att lägga till medarbetaren."
                ),
                code="unknown_hsa_id",
                params={"hsa_id": canonical},
            )
        staff = create_staff(canonical, given_name=given_name, family_name=family_name)
    return grant_role(
        actor, staff, role, unit=unit, valid_from=valid_from, valid_to=valid_to, reference=reference
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


def _check_local_admins_left(actor: Staff, grant: RoleGrant, at: datetime | None, accept_fewer: bool) -> None:
    """Removing a local administrator from a unit: never the last one (unless the region does it),
    and fewer than two only once the administrator has seen the warning and confirmed."""
    if grant.role != Role.LOCAL_ADMIN or grant.unit is None:
        return
    # Lock the unit's local-administrator grants, so that two administrators removing each other at
    # the same moment cannot both pass the count.
    list(RoleGrant.objects.select_for_update().filter(role=Role.LOCAL_ADMIN, unit=grant.unit))
    left = local_admins_left(grant.unit, without=grant, at=at)
    if left == 0 and not may_remove_last_local_admin(actor, grant.unit):
        raise ValidationError(
            _(
                "Mottagningen måste ha minst en lokal administratör. Utse en ny lokal administratör "
                "först, eller kontakta regionens förvaltning."
            ),
            code="last_local_admin",
        )
    if left < 2 and not accept_fewer:
        raise ValidationError(
            _("Mottagningen får färre än två lokala administratörer. Bekräfta att du vill fortsätta."),
            code="fewer_than_two",
        )


@transaction.atomic
def revoke_role(actor: Staff, grant_id: int, *, accept_fewer_than_two: bool = False) -> RoleGrant:
    """Revoke a grant now. It stops working on the member's next request (identity.access)."""
    grant = RoleGrant.objects.select_for_update().filter(pk=grant_id, revoked_at__isnull=True).first()
    if grant is None or not can_revoke(actor, grant):
        raise PermissionDenied(_("Behörigheten finns inte eller så får du inte ta bort den."))
    if not grant.ended():
        _check_local_admins_left(actor, grant, None, accept_fewer_than_two)
    _revoke(grant, actor, timezone.now())
    return grant


def _revoke(grant: RoleGrant, actor: Staff, now: datetime) -> None:
    grant.revoked_at = now
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor=actor.user, action="role.revoke", object_type="RoleGrant", object_id=grant.pk, unit=grant.unit
    )
    _history(grant, GrantEvent.REVOKED, actor)


@transaction.atomic
def set_role_end(
    actor: Staff, grant_id: int, valid_to: datetime, *, accept_fewer_than_two: bool = False
) -> RoleGrant:
    """Give a grant in force (or not yet started) a new end: ``valid_to``, exclusive, in the future."""
    grant = RoleGrant.objects.select_for_update().filter(pk=grant_id, revoked_at__isnull=True).first()
    if grant is None or grant.ended() or not can_revoke(actor, grant):
        raise PermissionDenied(_("Behörigheten finns inte eller så får du inte ändra den."))
    if valid_to <= max(grant.valid_from, timezone.now()):
        raise ValidationError(
            _("Slutdatum måste vara efter startdatum och inte bakåt i tiden."), code="period"
        )
    _check_local_admins_left(actor, grant, valid_to, accept_fewer_than_two)
    grant.valid_to = valid_to
    grant.save(update_fields=["valid_to"])
    record(
        actor=actor.user, action="role.end_set", object_type="RoleGrant", object_id=grant.pk, unit=grant.unit
    )
    _history(grant, GrantEvent.END_SET, actor)
    return grant


def _refuse_unless_region_admin_of(actor: Staff, unit: Unit) -> None:
    if not is_region_admin_of(actor, unit):
        raise PermissionDenied(_("Du är inte regionadministratör för enhetens region."))


@transaction.atomic
def grant_local_admin_by_region(actor: Staff, staff: Staff, unit: Unit, *, reference: str) -> RoleGrant:
    """The region administrator appoints a local administrator at a unit of its region on a request the
    region has approved (a connection application or a local-admin request, onboarding.actions): also
    when the unit already has one, which ``can_grant`` alone does not allow. ``reference`` names the
    request, which is the ground the grant rests on."""
    _refuse_unless_region_admin_of(actor, unit)
    return _create(
        granted_by=actor,
        staff=staff,
        role=Role.LOCAL_ADMIN,
        unit=unit,
        region=None,
        valid_from=None,
        valid_to=None,
        reference=_required_reference(reference),
    )


@transaction.atomic
def end_grants_at_unit(actor: Staff, unit: Unit) -> list[RoleGrant]:
    """A unit is deactivated (onboarding.actions.deactivate_unit): every grant at it that has not ended,
    in force or not yet begun, is revoked now by the region administrator ``actor``."""
    _refuse_unless_region_admin_of(actor, unit)
    now = timezone.now()
    grants = list(RoleGrant.objects.select_for_update().not_ended(now).filter(unit=unit).order_by("pk"))
    for grant in grants:
        _revoke(grant, actor, now)
    return grants
