"""Who may do what in a unit's lifecycle (docs/security.md, "Connecting and leaving").

The region administrator (REGION_ADMIN) of the unit's region reviews applications and local-admin
requests, administers agreements and carries out deactivations. At the unit, the local administrator
and the unit manager may ask to leave; the unit manager asks for local administrators. Anyone else
does not see these objects at all (the lists and the pages use the same filters)."""

from __future__ import annotations

from django.db.models import QuerySet

from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff
from vardkontakt.onboarding.models import Application, LocalAdminRequest
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import grants_in_force, has_role, is_region_admin_of, units_where

# Roles at a unit that may ask for the unit to leave the platform.
DEACTIVATION_REQUESTERS = (Role.LOCAL_ADMIN, Role.UNIT_MANAGER)


def regions_administered(staff: Staff | None) -> QuerySet[Region]:
    if staff is None:
        return Region.objects.none()
    return Region.objects.filter(
        pk__in=grants_in_force(staff).filter(role=Role.REGION_ADMIN).values("region_id")
    )


def _holds_any(staff: Staff | None, unit: Unit, roles: tuple[str, ...]) -> bool:
    return any(has_role(staff, role, unit=unit) for role in roles)


def units_visible_to(staff: Staff | None) -> QuerySet[Unit]:
    """Units whose connection page ``staff`` may open: every unit of a region they administer, and
    the units where they may ask to leave (local administrator, unit manager)."""
    if staff is None:
        return Unit.objects.none()
    own = units_where(staff, Role.LOCAL_ADMIN) | units_where(staff, Role.UNIT_MANAGER)
    return Unit.objects.filter(region__in=regions_administered(staff)) | Unit.objects.filter(
        pk__in=own.values("pk")
    )


def applications_visible_to(staff: Staff | None) -> QuerySet[Application]:
    return Application.objects.filter(unit__region__in=regions_administered(staff))


def local_admin_requests_visible_to(staff: Staff | None) -> QuerySet[LocalAdminRequest]:
    """The region's requests for its administrators; a unit manager sees those of their units."""
    if staff is None:
        return LocalAdminRequest.objects.none()
    return LocalAdminRequest.objects.filter(
        unit__region__in=regions_administered(staff)
    ) | LocalAdminRequest.objects.filter(unit__in=units_where(staff, Role.UNIT_MANAGER).values("pk"))


def can_decide_application(staff: Staff | None, application: Application) -> bool:
    return is_region_admin_of(staff, application.unit)


def can_administer_agreements(staff: Staff | None, unit: Unit) -> bool:
    return is_region_admin_of(staff, unit)


def can_request_deactivation(staff: Staff | None, unit: Unit) -> bool:
    return _holds_any(staff, unit, DEACTIVATION_REQUESTERS)


def can_cancel_deactivation(staff: Staff | None, unit: Unit) -> bool:
    """The unit may withdraw its request; the region may decline it (with a reason)."""
    return is_region_admin_of(staff, unit) or can_request_deactivation(staff, unit)


def can_deactivate(staff: Staff | None, unit: Unit) -> bool:
    return is_region_admin_of(staff, unit)


def can_request_local_admin(staff: Staff | None, unit: Unit) -> bool:
    return has_role(staff, Role.UNIT_MANAGER, unit=unit)


def can_decide_local_admin_request(staff: Staff | None, request: LocalAdminRequest) -> bool:
    return is_region_admin_of(staff, request.unit)
