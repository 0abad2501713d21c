"""Who may grant and revoke which role where (DESIGN.md §1), as an explicit table.

Actors are every role holder of the demo region plus a region administrator of a second region (Uppsala);
scopes are Vårdcentral Solna (the Solna staff's own unit), the orthopaedic clinic at Danderyd (another
unit of the same region, Olle's own unit), Vårdcentral Gränby (a unit in the other region), the two
regions, and the platform (no scope). Cells that pair a role with the wrong kind of scope (a unit role
"in a region", say) are always "-".

The tables are written out by hand from DESIGN.md, not computed from the policy:
- LOCAL_ADMIN grants every clinic role, LOCAL_ADMIN included, at its own unit only;
- ACCESS_ADMIN grants CASE_RECEIVER and CASE_HANDLER only, at its own unit only;
- REGION_ADMIN grants the first LOCAL_ADMIN of a unit in its region (Solna already has Lena, so not
  there), the UNIT_MANAGER of units in its region, and the region roles of its own region; it may
  revoke LOCAL_ADMIN and UNIT_MANAGER grants at units of its region;
- SUPPORT (a platform role) is never granted in the tool; nobody else grants anything.
"""

from __future__ import annotations

from typing import TypedDict

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.directory.models import Region, Unit
from vardkontakt.roles.actions import grant_role, grant_role_by_operator, revoke_role
from vardkontakt.roles.models import PLATFORM_ROLES, REGION_ROLES, UNIT_ROLES, Role, RoleGrant
from vardkontakt.roles.policy import can_grant, can_revoke, has_role
from vardkontakt.roles.tests.conftest import World

ROLE_COLUMNS = [
    Role.LOCAL_ADMIN,
    Role.ACCESS_ADMIN,
    Role.CASE_RECEIVER,
    Role.CASE_HANDLER,
    Role.LOG_REVIEWER,
    Role.UNIT_MANAGER,
    Role.ACCOUNT_ADMIN,
    Role.REGION_ADMIN,
    Role.SUPPORT,
]
UNIT_SCOPES = ("solna", "ortopeden", "granby")
REGION_SCOPES = ("stockholm", "uppsala")
SCOPES = (*UNIT_SCOPES, *REGION_SCOPES, "platform")

# May the actor grant the role at the scope?  Y = yes, - = no.
GRANT_TABLE = """
actor   scope      LA AA CR CH LR UM KA RA SU
lena    solna      Y  Y  Y  Y  Y  Y  -  -  -
lena    ortopeden  -  -  -  -  -  -  -  -  -
lena    granby     -  -  -  -  -  -  -  -  -
lena    stockholm  -  -  -  -  -  -  -  -  -
lena    uppsala    -  -  -  -  -  -  -  -  -
lena    platform   -  -  -  -  -  -  -  -  -
bo      solna      -  -  Y  Y  -  -  -  -  -
bo      ortopeden  -  -  -  -  -  -  -  -  -
bo      granby     -  -  -  -  -  -  -  -  -
bo      stockholm  -  -  -  -  -  -  -  -  -
bo      uppsala    -  -  -  -  -  -  -  -  -
bo      platform   -  -  -  -  -  -  -  -  -
maria   solna      -  -  -  -  -  -  -  -  -
maria   ortopeden  -  -  -  -  -  -  -  -  -
maria   granby     -  -  -  -  -  -  -  -  -
maria   stockholm  -  -  -  -  -  -  -  -  -
maria   uppsala    -  -  -  -  -  -  -  -  -
maria   platform   -  -  -  -  -  -  -  -  -
hans    solna      -  -  -  -  -  -  -  -  -
hans    ortopeden  -  -  -  -  -  -  -  -  -
hans    granby     -  -  -  -  -  -  -  -  -
hans    stockholm  -  -  -  -  -  -  -  -  -
hans    uppsala    -  -  -  -  -  -  -  -  -
hans    platform   -  -  -  -  -  -  -  -  -
hedvig  solna      -  -  -  -  -  -  -  -  -
hedvig  ortopeden  -  -  -  -  -  -  -  -  -
hedvig  granby     -  -  -  -  -  -  -  -  -
hedvig  stockholm  -  -  -  -  -  -  -  -  -
hedvig  uppsala    -  -  -  -  -  -  -  -  -
hedvig  platform   -  -  -  -  -  -  -  -  -
greta   solna      -  -  -  -  -  -  -  -  -
greta   ortopeden  -  -  -  -  -  -  -  -  -
greta   granby     -  -  -  -  -  -  -  -  -
greta   stockholm  -  -  -  -  -  -  -  -  -
greta   uppsala    -  -  -  -  -  -  -  -  -
greta   platform   -  -  -  -  -  -  -  -  -
vera    solna      -  -  -  -  -  -  -  -  -
vera    ortopeden  -  -  -  -  -  -  -  -  -
vera    granby     -  -  -  -  -  -  -  -  -
vera    stockholm  -  -  -  -  -  -  -  -  -
vera    uppsala    -  -  -  -  -  -  -  -  -
vera    platform   -  -  -  -  -  -  -  -  -
olle    solna      -  -  -  -  -  -  -  -  -
olle    ortopeden  -  -  -  -  -  -  -  -  -
olle    granby     -  -  -  -  -  -  -  -  -
olle    stockholm  -  -  -  -  -  -  -  -  -
olle    uppsala    -  -  -  -  -  -  -  -  -
olle    platform   -  -  -  -  -  -  -  -  -
karl    solna      -  -  -  -  -  -  -  -  -
karl    ortopeden  -  -  -  -  -  -  -  -  -
karl    granby     -  -  -  -  -  -  -  -  -
karl    stockholm  -  -  -  -  -  -  -  -  -
karl    uppsala    -  -  -  -  -  -  -  -  -
karl    platform   -  -  -  -  -  -  -  -  -
rita    solna      -  -  -  -  -  Y  -  -  -
rita    ortopeden  Y  -  -  -  -  Y  -  -  -
rita    granby     -  -  -  -  -  -  -  -  -
rita    stockholm  -  -  -  -  -  -  Y  Y  -
rita    uppsala    -  -  -  -  -  -  -  -  -
rita    platform   -  -  -  -  -  -  -  -  -
ulla    solna      -  -  -  -  -  -  -  -  -
ulla    ortopeden  -  -  -  -  -  -  -  -  -
ulla    granby     Y  -  -  -  -  Y  -  -  -
ulla    stockholm  -  -  -  -  -  -  -  -  -
ulla    uppsala    -  -  -  -  -  -  Y  Y  -
ulla    platform   -  -  -  -  -  -  -  -  -
sam     solna      -  -  -  -  -  -  -  -  -
sam     ortopeden  -  -  -  -  -  -  -  -  -
sam     granby     -  -  -  -  -  -  -  -  -
sam     stockholm  -  -  -  -  -  -  -  -  -
sam     uppsala    -  -  -  -  -  -  -  -  -
sam     platform   -  -  -  -  -  -  -  -  -
nils    solna      -  -  -  -  -  -  -  -  -
nils    ortopeden  -  -  -  -  -  -  -  -  -
nils    granby     -  -  -  -  -  -  -  -  -
nils    stockholm  -  -  -  -  -  -  -  -  -
nils    uppsala    -  -  -  -  -  -  -  -  -
nils    platform   -  -  -  -  -  -  -  -  -
"""

# May the actor revoke Tina's grant of the role at the scope?  Only correctly scoped cells can hold a
# grant; the others are "-" and are not tried. Differs from GRANT_TABLE only where the region
# administrator takes away a local administrator that it could not add (Solna already has one, and
# Tina's own LOCAL_ADMIN grant at the other units makes hers no longer "the first").
REVOKE_TABLE = """
actor   scope      LA AA CR CH LR UM KA RA SU
lena    solna      Y  Y  Y  Y  Y  Y  -  -  -
lena    ortopeden  -  -  -  -  -  -  -  -  -
lena    granby     -  -  -  -  -  -  -  -  -
lena    stockholm  -  -  -  -  -  -  -  -  -
lena    uppsala    -  -  -  -  -  -  -  -  -
lena    platform   -  -  -  -  -  -  -  -  -
bo      solna      -  -  Y  Y  -  -  -  -  -
bo      ortopeden  -  -  -  -  -  -  -  -  -
bo      granby     -  -  -  -  -  -  -  -  -
bo      stockholm  -  -  -  -  -  -  -  -  -
bo      uppsala    -  -  -  -  -  -  -  -  -
bo      platform   -  -  -  -  -  -  -  -  -
maria   solna      -  -  -  -  -  -  -  -  -
maria   ortopeden  -  -  -  -  -  -  -  -  -
maria   granby     -  -  -  -  -  -  -  -  -
maria   stockholm  -  -  -  -  -  -  -  -  -
maria   uppsala    -  -  -  -  -  -  -  -  -
maria   platform   -  -  -  -  -  -  -  -  -
hans    solna      -  -  -  -  -  -  -  -  -
hans    ortopeden  -  -  -  -  -  -  -  -  -
hans    granby     -  -  -  -  -  -  -  -  -
hans    stockholm  -  -  -  -  -  -  -  -  -
hans    uppsala    -  -  -  -  -  -  -  -  -
hans    platform   -  -  -  -  -  -  -  -  -
hedvig  solna      -  -  -  -  -  -  -  -  -
hedvig  ortopeden  -  -  -  -  -  -  -  -  -
hedvig  granby     -  -  -  -  -  -  -  -  -
hedvig  stockholm  -  -  -  -  -  -  -  -  -
hedvig  uppsala    -  -  -  -  -  -  -  -  -
hedvig  platform   -  -  -  -  -  -  -  -  -
greta   solna      -  -  -  -  -  -  -  -  -
greta   ortopeden  -  -  -  -  -  -  -  -  -
greta   granby     -  -  -  -  -  -  -  -  -
greta   stockholm  -  -  -  -  -  -  -  -  -
greta   uppsala    -  -  -  -  -  -  -  -  -
greta   platform   -  -  -  -  -  -  -  -  -
vera    solna      -  -  -  -  -  -  -  -  -
vera    ortopeden  -  -  -  -  -  -  -  -  -
vera    granby     -  -  -  -  -  -  -  -  -
vera    stockholm  -  -  -  -  -  -  -  -  -
vera    uppsala    -  -  -  -  -  -  -  -  -
vera    platform   -  -  -  -  -  -  -  -  -
olle    solna      -  -  -  -  -  -  -  -  -
olle    ortopeden  -  -  -  -  -  -  -  -  -
olle    granby     -  -  -  -  -  -  -  -  -
olle    stockholm  -  -  -  -  -  -  -  -  -
olle    uppsala    -  -  -  -  -  -  -  -  -
olle    platform   -  -  -  -  -  -  -  -  -
karl    solna      -  -  -  -  -  -  -  -  -
karl    ortopeden  -  -  -  -  -  -  -  -  -
karl    granby     -  -  -  -  -  -  -  -  -
karl    stockholm  -  -  -  -  -  -  -  -  -
karl    uppsala    -  -  -  -  -  -  -  -  -
karl    platform   -  -  -  -  -  -  -  -  -
rita    solna      Y  -  -  -  -  Y  -  -  -
rita    ortopeden  Y  -  -  -  -  Y  -  -  -
rita    granby     -  -  -  -  -  -  -  -  -
rita    stockholm  -  -  -  -  -  -  Y  Y  -
rita    uppsala    -  -  -  -  -  -  -  -  -
rita    platform   -  -  -  -  -  -  -  -  -
ulla    solna      -  -  -  -  -  -  -  -  -
ulla    ortopeden  -  -  -  -  -  -  -  -  -
ulla    granby     Y  -  -  -  -  Y  -  -  -
ulla    stockholm  -  -  -  -  -  -  -  -  -
ulla    uppsala    -  -  -  -  -  -  Y  Y  -
ulla    platform   -  -  -  -  -  -  -  -  -
sam     solna      -  -  -  -  -  -  -  -  -
sam     ortopeden  -  -  -  -  -  -  -  -  -
sam     granby     -  -  -  -  -  -  -  -  -
sam     stockholm  -  -  -  -  -  -  -  -  -
sam     uppsala    -  -  -  -  -  -  -  -  -
sam     platform   -  -  -  -  -  -  -  -  -
nils    solna      -  -  -  -  -  -  -  -  -
nils    ortopeden  -  -  -  -  -  -  -  -  -
nils    granby     -  -  -  -  -  -  -  -  -
nils    stockholm  -  -  -  -  -  -  -  -  -
nils    uppsala    -  -  -  -  -  -  -  -  -
nils    platform   -  -  -  -  -  -  -  -  -
"""

Cell = tuple[str, str, str]  # actor, scope, role


def parse(table: str) -> dict[Cell, bool]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == ["LA", "AA", "CR", "CH", "LR", "UM", "KA", "RA", "SU"]
    cells: dict[Cell, bool] = {}
    for actor, scope, *marks in rows:
        assert scope in SCOPES and len(marks) == len(ROLE_COLUMNS), (actor, scope)
        for role, mark in zip(ROLE_COLUMNS, marks, strict=True):
            assert mark in {"Y", "-"}
            cells[(actor, scope, role)] = mark == "Y"
    return cells


GRANTS = parse(GRANT_TABLE)
REVOKES = parse(REVOKE_TABLE)
ACTORS = sorted({actor for actor, _, _ in GRANTS})


def well_scoped(role: str, scope: str) -> bool:
    if role in UNIT_ROLES:
        return scope in UNIT_SCOPES
    if role in REGION_ROLES:
        return scope in REGION_SCOPES
    assert role in PLATFORM_ROLES
    return scope == "platform"


class Where(TypedDict, total=False):
    unit: Unit
    region: Region


def scope_kwargs(world: World, scope: str) -> Where:
    demo = world.demo
    where: dict[str, Where] = {
        "solna": {"unit": demo.unit("solna")},
        "ortopeden": {"unit": demo.unit("ortopeden")},
        "granby": {"unit": world.other_unit},
        "stockholm": {"region": demo.region},
        "uppsala": {"region": world.other_region},
        "platform": {},
    }
    return where[scope]


class _Undo(Exception):
    """Rolls a savepoint back so that one cell of the matrix does not change the next."""


def test_the_tables_cover_every_actor_scope_and_role() -> None:
    expected_actors = {
        "lena", "bo", "maria", "hans", "hedvig", "greta", "vera", "olle", "karl", "rita", "ulla", "sam", "nils",
    }  # fmt: skip
    for cells in (GRANTS, REVOKES):
        assert {actor for actor, _, _ in cells} == expected_actors
        assert len(cells) == len(expected_actors) * len(SCOPES) * len(ROLE_COLUMNS)
        # A wrongly scoped role is never grantable, whoever asks.
        assert not [cell for cell, allowed in cells.items() if allowed and not well_scoped(cell[2], cell[1])]


def test_the_actors_hold_the_roles_the_table_assumes(world: World) -> None:
    demo = world.demo
    solna, ortopeden = demo.unit("solna"), demo.unit("ortopeden")
    assert has_role(world.member("lena"), Role.LOCAL_ADMIN, unit=solna)
    assert has_role(world.member("bo"), Role.ACCESS_ADMIN, unit=solna)
    assert has_role(world.member("olle"), Role.CASE_RECEIVER, unit=ortopeden)
    assert has_role(world.member("rita"), Role.REGION_ADMIN, region=demo.region)
    assert has_role(world.member("ulla"), Role.REGION_ADMIN, region=world.other_region)
    assert has_role(world.member("sam"), Role.SUPPORT)
    assert not RoleGrant.objects.filter(staff=world.member("nils")).exists()
    # Solna has a local administrator; the other two units have none yet.
    assert RoleGrant.objects.in_force().filter(role=Role.LOCAL_ADMIN, unit=solna).exists()
    assert not RoleGrant.objects.filter(role=Role.LOCAL_ADMIN, unit=ortopeden).exists()
    assert not RoleGrant.objects.filter(role=Role.LOCAL_ADMIN, unit=world.other_unit).exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_can_grant_matrix(world: World, actor: str) -> None:
    wrong = []
    for scope in SCOPES:
        for role in ROLE_COLUMNS:
            got = can_grant(world.member(actor), role, **scope_kwargs(world, scope))
            if got != GRANTS[(actor, scope, role)]:
                wrong.append(f"{actor} {role} @ {scope}: expected {GRANTS[(actor, scope, role)]}, got {got}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("actor", ACTORS)
def test_grant_role_matrix(world: World, actor: str) -> None:
    """The action agrees with the table, creates a grant in force and logs it; a refusal leaves no trace."""
    tina, member = world.member("tina"), world.member(actor)
    wrong = []
    for scope in SCOPES:
        for role in ROLE_COLUMNS:
            where = scope_kwargs(world, scope)
            log_rows = AccessLogEntry.objects.count()
            try:
                with transaction.atomic():
                    grant = grant_role(member, tina, role, reference="BoR 2026-17", **where)
                    assert grant.granted_by == member
                    assert has_role(tina, role, **where)
                    entry = AccessLogEntry.objects.get(action="role.grant", object_id=str(grant.pk))
                    assert entry.actor_id == member.user_id
                    assert entry.unit_id == (grant.unit.pk if grant.unit else None)
                    raise _Undo
            except _Undo:
                allowed = True
            except PermissionDenied:
                allowed = False
                assert AccessLogEntry.objects.count() == log_rows
            assert not RoleGrant.objects.filter(staff=tina).exists()
            if allowed != GRANTS[(actor, scope, role)]:
                wrong.append(f"{actor} grants {role} @ {scope}: expected {GRANTS[(actor, scope, role)]}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture
def tinas_grants(world: World) -> dict[tuple[str, str], RoleGrant]:
    """Tina holds every role at every scope where it can be held."""
    return {
        (scope, role): grant_role_by_operator(world.member("tina"), role, **scope_kwargs(world, scope))
        for scope in SCOPES
        for role in ROLE_COLUMNS
        if well_scoped(role, scope)
    }


@pytest.mark.parametrize("actor", ACTORS)
def test_revoke_role_matrix(world: World, tinas_grants: dict[tuple[str, str], RoleGrant], actor: str) -> None:
    member = world.member(actor)
    wrong = []
    assert len(tinas_grants) == 3 * 6 + 2 * 2 + 1
    for (scope, role), grant in tinas_grants.items():
        expected = REVOKES[(actor, scope, role)]
        assert can_revoke(member, grant) == expected, (actor, scope, role)
        try:
            with transaction.atomic():
                revoked = revoke_role(member, grant.pk, accept_fewer_than_two=True)
                assert revoked.revoked_by == member
                assert not RoleGrant.objects.in_force().filter(pk=grant.pk).exists()
                entry = AccessLogEntry.objects.get(action="role.revoke", object_id=str(grant.pk))
                assert entry.actor_id == member.user_id
                raise _Undo
        except _Undo:
            allowed = True
        except PermissionDenied:
            allowed = False
        assert RoleGrant.objects.in_force().filter(pk=grant.pk).exists()
        if allowed != expected:
            wrong.append(f"{actor} revokes {role} @ {scope}: expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_unknown_role_is_never_grantable(world: World) -> None:
    solna = world.demo.unit("solna")
    assert not can_grant(world.member("lena"), "SUPERUSER", unit=solna)
    assert not can_grant(world.member("lena"), "local_admin", unit=solna)
    assert not can_grant(None, Role.CASE_HANDLER, unit=solna)


def test_unit_role_named_with_both_unit_and_region_is_refused(world: World) -> None:
    demo = world.demo
    for actor in ("lena", "rita"):
        assert not can_grant(
            world.member(actor), Role.UNIT_MANAGER, unit=demo.unit("solna"), region=demo.region
        )
    assert not can_grant(
        world.member("rita"), Role.ACCOUNT_ADMIN, unit=demo.unit("solna"), region=demo.region
    )


def test_region_admin_may_grant_a_local_admin_again_once_the_unit_has_none(world: World) -> None:
    demo = world.demo
    rita, lena, solna = world.member("rita"), world.member("lena"), demo.unit("solna")
    assert not can_grant(rita, Role.LOCAL_ADMIN, unit=solna)
    lenas = RoleGrant.objects.get(staff=lena, role=Role.LOCAL_ADMIN, unit=solna)
    revoke_role(rita, lenas.pk, accept_fewer_than_two=True)
    assert can_grant(rita, Role.LOCAL_ADMIN, unit=solna)
    grant_role(rita, world.member("tina"), Role.LOCAL_ADMIN, unit=solna, reference="BoR 2026-18")
    assert not can_grant(rita, Role.LOCAL_ADMIN, unit=solna)
    # The unit's own local administrator is not limited to the first.
    assert can_grant(world.member("tina"), Role.LOCAL_ADMIN, unit=solna)
