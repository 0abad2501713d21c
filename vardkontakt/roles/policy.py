"""Who holds which role where, and who may grant what. Every app asks these functions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db.models import DateTimeField, QuerySet, UUIDField
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff, User
from vardkontakt.roles.models import PLATFORM_ROLES, REGION_ROLES, UNIT_ROLES, Role, RoleGrant
from vardkontakt.statements import Param, Statement, Statements

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
    return RoleGrant.objects.in_force(staff=staff)


# --- The grants in force, read once per request ---------------------------------------------------
# Inside a request (identity.middleware opens the scope) a member's grants in force are read from the
# database once, at the first role check, as (role, unit id, region id); the other checks of that
# request (the staff gate, the lists, the case page's actions) answer from them. Every request reads
# them afresh, so a revoked role or a reassigned case takes effect on the next request; a grant
# written during the request (post_save/post_delete below) empties the memo, so the request's own
# later checks see it too. Outside a request (tasks, commands, direct calls) every check asks the
# database.
Held = frozenset[tuple[str, Any, Any]]
_HELD = Statement(
    lambda: RoleGrant.objects.in_force(
        Param("at", DateTimeField()), staff_id=Param("staff", UUIDField())
    ).values_list("role", "unit_id", "region_id")
)
_grants_this_request: ContextVar[dict[Any, Held] | None] = ContextVar("vk_grants_this_request", default=None)


@contextmanager
def grants_read_once() -> Iterator[None]:
    """The scope of one request, within which each member's grants in force are read once."""
    token = _grants_this_request.set({})
    try:
        yield
    finally:
        _grants_this_request.reset(token)


def _held(staff: Staff) -> Held | None:
    """The member's grants in force as read in this request, or None outside a request."""
    memo = _grants_this_request.get()
    if memo is None:
        return None
    if staff.pk not in memo:
        memo[staff.pk] = frozenset(_HELD.all(at=timezone.now(), staff=staff.pk))
    return memo[staff.pk]


def _forget_grants_read(**_kwargs: object) -> None:
    memo = _grants_this_request.get()
    if memo:
        memo.clear()


post_save.connect(_forget_grants_read, sender=RoleGrant, dispatch_uid="roles.forget_grants_read.save")
post_delete.connect(_forget_grants_read, sender=RoleGrant, dispatch_uid="roles.forget_grants_read.delete")


def has_role(
    staff: Staff | None, role: str, *, unit: Unit | None = None, region: Region | None = None
) -> bool:
    if staff is None:
        return False
    # (unit id, region id) of a grant of ``role`` there: by the scope constraint of RoleGrant a unit
    # role has no region, a region role no unit, a platform role neither.
    scope: tuple[Any, Any] = (None, None)
    if role in UNIT_ROLES:
        if unit is None:
            raise ValueError(f"{role} is held at a unit: name the unit")
        scope = (unit.pk, None)
    elif role in REGION_ROLES:
        if region is None:
            raise ValueError(f"{role} is held in a region: name the region")
        scope = (None, region.pk)
    held = _held(staff)
    if held is not None:
        return (role, *scope) in held
    grants = grants_in_force(staff).filter(role=role)
    if role in UNIT_ROLES:
        grants = grants.filter(unit=unit)
    elif role in REGION_ROLES:
        grants = grants.filter(region=region)
    return grants.exists()


def units_where(staff: Staff | None, role: str) -> QuerySet[Unit]:
    """The units at which ``staff`` holds ``role`` now."""
    if staff is None:
        return Unit.objects.none()
    held = _held(staff)
    if held is not None:
        return Unit.objects.filter(pk__in=_unit_ids(held, role))
    return Unit.objects.filter(grants__in=grants_in_force(staff).filter(role=role)).distinct()


# The units where a member holds a role, by name (a page's picker), one statement per role.
_UNIT_NAMES: Statements[str, Unit] = Statements(
    lambda role: (
        Unit.objects.filter(
            pk__in=RoleGrant.objects.in_force(
                Param("at", DateTimeField()), staff_id=Param("staff", UUIDField()), role=role
            ).values("unit_id")
        )
        .order_by("name")
        .only("id", "name")
    )
)


def unit_names_where(staff: Staff, role: str) -> list[Unit]:
    """The units at which ``staff`` holds ``role`` now, by name, with only their id and name loaded
    (a page's picker): the rows of ``units_where``, by a statement compiled once per role."""
    return _UNIT_NAMES[role].all(at=timezone.now(), staff=staff.pk)


def unit_ids_where(staff: Staff, role: str) -> list[Any] | QuerySet[RoleGrant, Any]:
    """The ids of the units at which ``staff`` holds ``role`` now, for ``unit_id__in``: inside a
    request a list from the request's grants, so the caller's query needs no subquery; outside one,
    a subquery of the grants in force."""
    held = _held(staff)
    if held is not None:
        return _unit_ids(held, role)
    return grants_in_force(staff).filter(role=role).values("unit_id")


def _unit_ids(held: Held, role: str) -> list[Any]:
    return [unit for r, unit, _region in held if r == role and unit is not None]


def has_any_role(staff: Staff | None) -> bool:
    if staff is None:
        return False
    held = _held(staff)
    return bool(held) if held is not None else grants_in_force(staff).exists()


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
    if role in _REGION_ADMIN_GRANTS_AT_UNIT and is_region_admin_of(actor, unit):
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
        and is_region_admin_of(actor, grant.unit)
    )


def is_region_admin_of(actor: Staff | None, unit: Unit) -> bool:
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


def grantable_roles(actor: Staff | None, unit: Unit) -> list[str]:
    """The clinic roles ``actor`` may grant (and revoke) at ``unit``, in the order of ``Role``."""
    return [role for role in Role.values if role in UNIT_ROLES and can_grant(actor, role, unit=unit)]


def can_administer_roles(actor: Staff | None, unit: Unit) -> bool:
    """May ``actor`` open the unit's role administration: list its grants, grant and revoke?"""
    return bool(grantable_roles(actor, unit))


def can_edit_unit_settings(actor: Staff | None, unit: Unit) -> bool:
    """The clinic's settings (contact-card text, service area, staff notification defaults) are its
    local administrators' to change (DESIGN.md §1)."""
    return has_role(actor, Role.LOCAL_ADMIN, unit=unit)


def can_open_unit_admin_hub(actor: Staff | None, unit: Unit) -> bool:
    """May ``actor`` open the unit's administration hub: administer its roles or edit its settings?"""
    return can_administer_roles(actor, unit) or can_edit_unit_settings(actor, unit)


def administered_units(actor: Staff | None) -> QuerySet[Unit]:
    """The units whose settings hub ``actor`` sees: where they are local or access administrator."""
    return (units_where(actor, Role.LOCAL_ADMIN) | units_where(actor, Role.ACCESS_ADMIN)).order_by("name")


def local_admins_left(unit: Unit, *, without: RoleGrant, at: datetime | None = None) -> int:
    """How many people would hold LOCAL_ADMIN at ``unit`` at ``at`` (now by default) if ``without``
    were not in force then: for the "fewer than two local administrators" warning."""
    return (
        RoleGrant.objects.in_force(at)
        .filter(role=Role.LOCAL_ADMIN, unit=unit)
        .exclude(pk=without.pk)
        .values("staff_id")
        .distinct()
        .count()
    )


def may_remove_last_local_admin(actor: Staff | None, unit: Unit) -> bool:
    """Only the region may leave a unit without a local administrator (DESIGN.md §1: it appoints the
    first one, and takes the last one away at a deactivation or when they have left)."""
    return actor is not None and is_region_admin_of(actor, unit)
