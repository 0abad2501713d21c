"""What the staff support page shows a member: local support first, then the region's.

Local support is the member's own clinics' local administrators and access administrators (who grant
roles and keep the clinic's settings). Then, for each region the member works in, the region's support
contacts (``Region.support_text``, kept by its region administrators) and the people who hold the
account-administrator role there now.
"""

from __future__ import annotations

from dataclasses import dataclass

from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import PLATFORM_ROLES, Role, RoleGrant
from vardkontakt.roles.policy import grants_in_force
from vardkontakt.web.policy import can_edit_region_support

LOCAL_SUPPORT_ROLES = (Role.LOCAL_ADMIN, Role.ACCESS_ADMIN)


@dataclass(frozen=True)
class Contact:
    name: str
    hsa_id: str
    title: str
    role: str


@dataclass(frozen=True)
class LocalSupport:
    unit: Unit
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class RegionSupport:
    region: Region
    account_admins: tuple[Contact, ...]
    may_edit: bool


def _contacts(grants: list[RoleGrant]) -> tuple[Contact, ...]:
    seen: set[tuple[object, str]] = set()
    contacts = []
    for grant in grants:
        if (grant.staff_id, grant.role) in seen:
            continue
        seen.add((grant.staff_id, grant.role))
        contacts.append(
            Contact(
                name=grant.staff.full_name,
                hsa_id=grant.staff.hsa_id,
                title=grant.staff.title,
                role=str(Role(grant.role).label),
            )
        )
    return tuple(contacts)


def _in_force(**filters: object) -> list[RoleGrant]:
    """Grants in force, by role (in the order of ``Role``), then by name."""
    grants = (
        RoleGrant.objects.in_force()
        .filter(**filters)
        .select_related("staff")
        .order_by("staff__family_name", "staff__given_name", "staff_id")
    )
    order = list(Role.values)
    return sorted(grants, key=lambda grant: order.index(grant.role))


def _by(grants: list[RoleGrant], scope: str) -> dict[object, list[RoleGrant]]:
    """``grants`` grouped by ``scope`` ("unit_id" or "region_id"), each group in the order it came."""
    groups: dict[object, list[RoleGrant]] = {}
    for grant in grants:
        groups.setdefault(getattr(grant, scope), []).append(grant)
    return groups


def support_for(staff: Staff) -> tuple[list[LocalSupport], list[RegionSupport]]:
    mine = list(grants_in_force(staff).select_related("unit"))
    units = sorted({g.unit for g in mine if g.unit is not None}, key=lambda unit: unit.name)
    if any(g.role in PLATFORM_ROLES for g in mine):
        regions = Region.objects.all()  # platform support serves every region
    else:
        region_ids = {g.region_id for g in mine if g.region_id} | {unit.region_id for unit in units}
        regions = Region.objects.filter(pk__in=region_ids)
    regions = regions.order_by("name")
    # One query for every unit's local support and one for every region's account administrators.
    local_grants = _by(_in_force(unit__in=units, role__in=LOCAL_SUPPORT_ROLES), "unit_id")
    admin_grants = _by(_in_force(region__in=regions, role=Role.ACCOUNT_ADMIN), "region_id")
    local = [LocalSupport(unit=unit, contacts=_contacts(local_grants.get(unit.pk, []))) for unit in units]
    regional = [
        RegionSupport(
            region=region,
            account_admins=_contacts(admin_grants.get(region.pk, [])),
            may_edit=can_edit_region_support(staff, region),
        )
        for region in regions
    ]
    return local, regional
