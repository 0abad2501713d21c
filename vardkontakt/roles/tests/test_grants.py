"""A grant's life: its period, revocation, the access log, and the scope rules in code and database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import Demo
from vardkontakt.roles.actions import grant_role, grant_role_by_operator, revoke_role
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.roles.policy import grants_in_force, has_any_role, has_role, units_where


def test_a_grant_that_starts_tomorrow_is_not_in_force_today(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    tomorrow = timezone.now() + timedelta(days=1)
    grant = grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=tomorrow, reference="BoR 1")
    assert not has_role(nils, Role.CASE_HANDLER, unit=solna)
    assert not has_any_role(nils)
    assert not units_where(nils, Role.CASE_HANDLER).exists()
    assert RoleGrant.objects.in_force(tomorrow + timedelta(minutes=1)).filter(pk=grant.pk).exists()


def test_a_grant_that_ended_yesterday_is_not_in_force(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    now = timezone.now()
    grant = grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, reference="BoR 1")
    # A grant cannot be made to start in the past; its period is moved there directly.
    RoleGrant.objects.filter(pk=grant.pk).update(
        valid_from=now - timedelta(days=30), valid_to=now - timedelta(days=1)
    )
    assert not has_role(nils, Role.CASE_HANDLER, unit=solna)
    assert not grants_in_force(nils).exists()
    assert RoleGrant.objects.in_force(now - timedelta(days=2)).filter(pk=grant.pk).exists()
    # The end is exclusive: at valid_to the grant has ended.
    assert not RoleGrant.objects.in_force(now - timedelta(days=1)).filter(pk=grant.pk).exists()


def test_a_revoked_grant_is_not_in_force_even_within_its_period(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    grant = grant_role(
        lena,
        nils,
        Role.CASE_RECEIVER,
        unit=solna,
        valid_to=timezone.now() + timedelta(days=90),
        reference="BoR 1",
    )
    assert has_role(nils, Role.CASE_RECEIVER, unit=solna)
    revoke_role(lena, grant.pk)
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == lena
    assert not has_role(nils, Role.CASE_RECEIVER, unit=solna)
    assert not has_any_role(nils)


def test_grant_and_revoke_each_write_one_access_log_row(demo: Demo) -> None:
    bo, nils, solna = demo.member("bo"), demo.member("nils"), demo.unit("solna")
    before = AccessLogEntry.objects.count()
    grant = grant_role(bo, nils, Role.CASE_HANDLER, unit=solna, reference="BoR 2026-03")
    granted = AccessLogEntry.objects.get(action="role.grant", object_id=str(grant.pk))
    assert (granted.actor_id, granted.unit_id, granted.object_type) == (bo.user_id, solna.pk, "RoleGrant")
    revoke_role(bo, grant.pk)
    revoked = AccessLogEntry.objects.get(action="role.revoke", object_id=str(grant.pk))
    assert (revoked.actor_id, revoked.unit_id, revoked.object_type) == (bo.user_id, solna.pk, "RoleGrant")
    assert AccessLogEntry.objects.count() == before + 2


def test_the_operators_grant_is_logged_without_an_actor(demo: Demo) -> None:
    grant = grant_role_by_operator(demo.member("nils"), Role.SUPPORT, reference="Driftbeslut 7")
    entry = AccessLogEntry.objects.get(action="role.grant", object_id=str(grant.pk))
    assert entry.actor_id is None and entry.unit_id is None


def test_a_refused_grant_writes_nothing(demo: Demo) -> None:
    maria, nils, solna = demo.member("maria"), demo.member("nils"), demo.unit("solna")
    before = (RoleGrant.objects.count(), AccessLogEntry.objects.count())
    with pytest.raises(PermissionDenied):
        grant_role(maria, nils, Role.CASE_HANDLER, unit=solna, reference="BoR 1")
    assert (RoleGrant.objects.count(), AccessLogEntry.objects.count()) == before


def test_revoking_twice_or_an_unknown_grant_is_refused(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    grant = grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, reference="BoR 1")
    revoke_role(lena, grant.pk)
    first_revoked_at = RoleGrant.objects.get(pk=grant.pk).revoked_at
    with pytest.raises(PermissionDenied):
        revoke_role(lena, grant.pk)
    with pytest.raises(PermissionDenied):
        revoke_role(lena, 987654321)
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at == first_revoked_at
    assert AccessLogEntry.objects.filter(action="role.revoke", object_id=str(grant.pk)).count() == 1


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.CASE_HANDLER, {}),  # unit role without a unit
        (Role.CASE_HANDLER, {"region": True}),  # unit role in a region
        (Role.CASE_HANDLER, {"unit": True, "region": True}),  # both
        (Role.ACCOUNT_ADMIN, {}),  # region role without a region
        (Role.REGION_ADMIN, {"unit": True}),  # region role at a unit
        (Role.SUPPORT, {"unit": True}),  # platform role at a unit
        (Role.SUPPORT, {"region": True}),  # platform role in a region
    ],
)
def test_a_wrongly_scoped_grant_is_a_validation_error(demo: Demo, role: str, where: dict[str, bool]) -> None:
    scope = {
        key: value
        for key, value in {"unit": demo.unit("solna"), "region": demo.region}.items()
        if where.get(key)
    }
    with pytest.raises(ValidationError) as raised:
        grant_role_by_operator(demo.member("nils"), role, **scope)  # type: ignore[arg-type]
    assert raised.value.code == "scope"
    assert not RoleGrant.objects.filter(staff=demo.member("nils")).exists()


def test_an_unknown_role_is_a_validation_error(demo: Demo) -> None:
    with pytest.raises(ValidationError) as raised:
        grant_role_by_operator(demo.member("nils"), "SUPERUSER", unit=demo.unit("solna"))
    assert raised.value.code == "role"


def test_a_grant_must_end_after_it_starts(demo: Demo) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError) as raised:
        grant_role(
            demo.member("lena"),
            demo.member("nils"),
            Role.CASE_HANDLER,
            unit=demo.unit("solna"),
            valid_from=now,
            valid_to=now,
            reference="BoR 1",
        )
    assert raised.value.code == "period"


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"role": Role.CASE_HANDLER}, "rolegrant_scope_matches_role"),
        ({"role": Role.CASE_HANDLER, "region": "region"}, "rolegrant_scope_matches_role"),
        ({"role": Role.CASE_HANDLER, "unit": "solna", "region": "region"}, "rolegrant_scope_matches_role"),
        ({"role": Role.REGION_ADMIN, "unit": "solna"}, "rolegrant_scope_matches_role"),
        ({"role": Role.REGION_ADMIN}, "rolegrant_scope_matches_role"),
        ({"role": Role.SUPPORT, "region": "region"}, "rolegrant_scope_matches_role"),
        ({"role": "SUPERUSER"}, "rolegrant_role_valid"),
        ({"role": Role.CASE_HANDLER, "unit": "solna", "period": "backwards"}, "rolegrant_period_valid"),
    ],
)
def test_the_database_refuses_a_wrongly_scoped_row(
    demo: Demo, fields: dict[str, str], constraint: str
) -> None:
    """Even code that skips the action cannot store a grant whose scope does not fit its role."""
    now = timezone.now()
    row = RoleGrant(staff=demo.member("nils"), role=fields["role"], valid_from=now)
    if "unit" in fields:
        row.unit = demo.unit(fields["unit"])
    if "region" in fields:
        row.region = demo.region
    if "period" in fields:
        row.valid_to = now - timedelta(hours=1)
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        row.save()
    # SQLite names the constraint; PostgreSQL too.
    assert constraint in str(raised.value)
    assert not RoleGrant.objects.filter(staff=demo.member("nils")).exists()


def test_a_correctly_scoped_row_is_accepted_by_the_database(demo: Demo) -> None:
    """The counterpart of the test above, so that it cannot pass because every row is refused."""
    nils = demo.member("nils")
    RoleGrant.objects.create(staff=nils, role=Role.CASE_HANDLER, unit=demo.unit("solna"))
    RoleGrant.objects.create(staff=nils, role=Role.ACCOUNT_ADMIN, region=demo.region)
    RoleGrant.objects.create(staff=nils, role=Role.SUPPORT)
    assert grants_in_force(nils).count() == 3
