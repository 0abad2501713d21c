"""Within one request a member's grants in force are read once (roles.policy.grants_read_once), and
the answers are the same as when every check asks the database."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vardkontakt.directory.models import Region, Unit
from vardkontakt.roles.actions import grant_role, revoke_role
from vardkontakt.roles.models import REGION_ROLES, UNIT_ROLES, Role, RoleGrant
from vardkontakt.roles.policy import grants_read_once, has_any_role, has_role, units_where
from vardkontakt.roles.tests.conftest import World


def _grant_reads(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if 'FROM "roles_rolegrant"' in q["sql"].split("WHERE")[0])


def _answers(world: World) -> dict[tuple[str, str, str], object]:
    """Every member x every role x every scope of the right kind: has_role; and per member and role,
    units_where and has_any_role."""
    units = list(Unit.objects.order_by("hsa_id"))
    regions = list(Region.objects.order_by("code"))
    out: dict[tuple[str, str, str], object] = {}
    for key, member in sorted(world.people.items()):
        out[(key, "any", "")] = has_any_role(member)
        for role in Role.values:
            out[(key, role, "units_where")] = sorted(
                str(pk) for pk in units_where(member, role).values_list("pk", flat=True)
            )
            if role in UNIT_ROLES:
                for unit in units:
                    out[(key, role, unit.hsa_id)] = has_role(member, role, unit=unit)
            elif role in REGION_ROLES:
                for region in regions:
                    out[(key, role, region.code)] = has_role(member, role, region=region)
            else:
                out[(key, role, "platform")] = has_role(member, role)
    return out


def test_the_answers_inside_a_request_are_those_of_the_database(world: World) -> None:
    tina = world.member("tina")
    solna, region = world.demo.unit("solna"), world.demo.region
    now = timezone.now()
    # Grants that are not in force: revoked, ended, not begun; and one that is.
    RoleGrant.objects.create(staff=tina, role=Role.CASE_RECEIVER, unit=solna, revoked_at=now)
    RoleGrant.objects.create(
        staff=tina, role=Role.CASE_HANDLER, unit=solna, valid_from=now - timedelta(days=9), valid_to=now
    )
    RoleGrant.objects.create(
        staff=tina, role=Role.ACCOUNT_ADMIN, region=region, valid_from=now + timedelta(days=1)
    )
    RoleGrant.objects.create(staff=tina, role=Role.LOG_REVIEWER, unit=solna)

    outside = _answers(world)
    with grants_read_once():
        inside = _answers(world)
    assert inside == outside
    # The table is not trivially all-false: it holds both answers, Tina's included.
    assert outside[("tina", Role.LOG_REVIEWER, solna.hsa_id)] is True
    assert outside[("tina", Role.CASE_RECEIVER, solna.hsa_id)] is False
    assert outside[("tina", Role.CASE_HANDLER, solna.hsa_id)] is False
    assert outside[("tina", Role.ACCOUNT_ADMIN, region.code)] is False
    assert outside[("maria", Role.CASE_RECEIVER, solna.hsa_id)] is True


def test_inside_a_request_the_grants_are_read_once_per_member(world: World) -> None:
    maria, olle = world.member("maria"), world.member("olle")
    solna = world.demo.unit("solna")
    with grants_read_once(), CaptureQueriesContext(connection) as queries:
        assert has_any_role(maria)
        assert has_role(maria, Role.CASE_RECEIVER, unit=solna)
        assert not has_role(maria, Role.LOCAL_ADMIN, unit=solna)
        assert list(units_where(maria, Role.CASE_RECEIVER)) == [solna]
        assert has_any_role(olle)
        assert not has_role(olle, Role.CASE_RECEIVER, unit=solna)
    assert _grant_reads(queries) == 2  # Maria's, then Olle's


def test_outside_a_request_every_check_asks_the_database(world: World) -> None:
    maria, solna = world.member("maria"), world.demo.unit("solna")
    with CaptureQueriesContext(connection) as queries:
        assert has_role(maria, Role.CASE_RECEIVER, unit=solna)
        assert has_role(maria, Role.CASE_RECEIVER, unit=solna)
    assert _grant_reads(queries) == 2


def test_a_grant_written_during_the_request_is_seen_by_its_later_checks(world: World) -> None:
    lena, tina, solna = world.member("lena"), world.member("tina"), world.demo.unit("solna")
    with grants_read_once():
        assert not has_role(tina, Role.CASE_HANDLER, unit=solna)
        grant = grant_role(lena, tina, Role.CASE_HANDLER, unit=solna, reference="BoR 1")
        assert has_role(tina, Role.CASE_HANDLER, unit=solna)
        assert list(units_where(tina, Role.CASE_HANDLER)) == [solna]
        revoke_role(lena, grant.pk)
        assert not has_role(tina, Role.CASE_HANDLER, unit=solna)
        assert not has_any_role(tina)


def test_a_scope_does_not_outlive_its_request(world: World) -> None:
    maria, solna = world.member("maria"), world.demo.unit("solna")
    with grants_read_once():
        assert has_role(maria, Role.CASE_RECEIVER, unit=solna)
    RoleGrant.objects.filter(staff=maria, role=Role.CASE_RECEIVER).update(revoked_at=timezone.now())
    with grants_read_once():
        assert not has_role(maria, Role.CASE_RECEIVER, unit=solna)
    assert not has_role(maria, Role.CASE_RECEIVER, unit=solna)


def test_unit_names_where_are_the_units_where_by_name(world: World) -> None:
    """unit_names_where (a compiled statement, for a page's picker): the rows of units_where, ordered
    by name, for every member and role, with an ended grant among them."""
    from vardkontakt.roles.policy import unit_names_where

    ended = RoleGrant.objects.filter(unit__isnull=False).order_by("pk").first()
    assert ended is not None
    now = timezone.now()
    RoleGrant.objects.filter(pk=ended.pk).update(
        valid_from=now - timedelta(days=9), valid_to=now - timedelta(days=1)
    )
    held = 0
    for member in world.people.values():
        for role in UNIT_ROLES:
            expected = list(units_where(member, role).order_by("name"))
            found = unit_names_where(member, role)
            assert [(u.pk, u.name) for u in found] == [(u.pk, u.name) for u in expected]
            held += len(found)
    assert held > 0
