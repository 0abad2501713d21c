"""Who holds which role where, and who may grant what. Every app asks these functions."""

from __future__ import annotations

from django.db.models import QuerySet

from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff, User
from vardkontakt.roles.models import PLATFORM_ROLES, REGION_ROLES, UNIT_ROLES, Role, RoleGrant

# What each granting role may hand out, and at which scope (DESIGN.md §1).
_GRANTABLE_AT_UNIT: dict[str, frozenset[str]] = {
    Role.LOCAL_ADMIN: UNIT_ROLES,
    Role.ACCESS_ADMIN: frozenset({Role.CASE_RECEIVER, Role.CASE_HANDLER}),
}
# The region administrator connects units: it appoints the first local administrator and the unit
# manager of a unit in its region, and hands out the region's own roles. Once a unit has a local
# administrator, further ones come from the unit itself; the region may still take one away (a
# deactivation, or an administrator who has left), after which it may appoint a new first one.
_REGION_ADMIN_GRANTS_AT_UNIT = frozenset({Role.LOCAL_ADMIN, Role.UNIT_MANAGER})


def staff_of(user: User | None) -> Staff | None:
    if user is None or not user.is_authenticated or not user.is_staff_member:
        return None
    try:
        return user.staff
    except Staff.DoesNotExist:
        return None


def grants_in_force(staff: Staff) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.in_force().filter(staff=staff)


def has_role(
    staff: Staff | None, role: str, *, unit: Unit | None = None, region: Region | None = None
) -> bool:
    if staff is None:
        return False
    grants = grants_in_force(staff).filter(role=role)
    if role in UNIT_ROLES:
        if unit is None:
            raise ValueError(f"{role} is held at a unit: name the unit")
        grants = grants.filter(unit=unit)
    elif role in REGION_ROLES:
        if region is None:
            raise ValueError(f"{role} is held in a region: name the region")
        grants = grants.filter(region=region)
    return grants.exists()


def units_where(staff: Staff | None, role: str) -> QuerySet[Unit]:
    """The units at which ``staff`` holds ``role`` now."""
    if staff is None:
        return Unit.objects.none()
    return Unit.objects.filter(grants__in=grants_in_force(staff).filter(role=role)).distinct()


def has_any_role(staff: Staff | None) -> bool:
    return staff is not None and grants_in_force(staff).exists()


def can_grant(
    actor: Staff | None, role: str, *, unit: Unit | None = None, region: Region | None = None
) -> bool:
    """May ``actor`` grant (or revoke) ``role`` at ``unit`` / in ``region``?"""
    if actor is None or role not in Role.values:
        return False
    if role in PLATFORM_ROLES:
        return False  # platform roles are given by the operator's command line, never in the tool
    if role in REGION_ROLES:
        return region is not None and unit is None and has_role(actor, Role.REGION_ADMIN, region=region)
    if unit is None or region is not None:
        return False
    for granting_role, grantable in _GRANTABLE_AT_UNIT.items():
        if role in grantable and has_role(actor, granting_role, unit=unit):
            return True
    if role in _REGION_ADMIN_GRANTS_AT_UNIT and _is_region_admin_of(actor, unit):
        return role != Role.LOCAL_ADMIN or not _has_local_admin(unit)
    return False


def can_revoke(actor: Staff | None, grant: RoleGrant) -> bool:
    """May ``actor`` revoke ``grant``? Whoever may grant its role there; and the region administrator
    may take away the local administrators and unit managers of units in its region."""
    if can_grant(actor, grant.role, unit=grant.unit, region=grant.region):
        return True
    return (
        actor is not None
        and grant.role in _REGION_ADMIN_GRANTS_AT_UNIT
        and grant.unit is not None
        and grant.region is None
        and _is_region_admin_of(actor, grant.unit)
    )


def _is_region_admin_of(actor: Staff, unit: Unit) -> bool:
    return has_role(actor, Role.REGION_ADMIN, region=unit.region)


def _has_local_admin(unit: Unit) -> bool:
    return RoleGrant.objects.in_force().filter(role=Role.LOCAL_ADMIN, unit=unit).exists()


def grants_visible_to(actor: Staff | None) -> QuerySet[RoleGrant]:
    """Grants an administrator may list: those at units/regions where they may grant anything."""
    if actor is None:
        return RoleGrant.objects.none()
    admin_units = units_where(actor, Role.LOCAL_ADMIN) | units_where(actor, Role.ACCESS_ADMIN)
    region_ids = grants_in_force(actor).filter(role=Role.REGION_ADMIN).values("region_id")
    return (
        RoleGrant.objects.filter(unit__in=admin_units.values("id"))
        | RoleGrant.objects.filter(region__in=region_ids)
        | RoleGrant.objects.filter(unit__region__in=region_ids)
    )
