"""The rules a grant keeps whoever calls the action: one grant of a role per person and scope at a
time, no start in the past, a reference to the needs-and-risk analysis, and a history row naming the
unit or the region."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import Demo
from vardkontakt.roles.actions import grant_role, grant_role_by_operator, revoke_role, set_role_end
from vardkontakt.roles.models import GrantEvent, Role, RoleGrant, RoleGrantEvent

REF = "BoR 2026-21"


def test_the_same_role_twice_at_the_same_unit_is_refused(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, reference=REF)
    before = (RoleGrant.objects.count(), AccessLogEntry.objects.count())
    with pytest.raises(ValidationError) as raised:
        grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, reference=REF)
    assert raised.value.code == "duplicate"
    assert "Nils Nord har redan rollen Ärendehanterare" in raised.value.messages[0]
    assert (RoleGrant.objects.count(), AccessLogEntry.objects.count()) == before
    # Another role, or the same role at another unit, is not a duplicate.
    grant_role(lena, nils, Role.CASE_RECEIVER, unit=solna, reference=REF)
    grant_role_by_operator(nils, Role.CASE_HANDLER, unit=demo.unit("ortopeden"))


def test_overlapping_periods_are_refused_and_consecutive_ones_allowed(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    now = timezone.now()
    first = grant_role(
        lena, nils, Role.CASE_HANDLER, unit=solna, valid_to=now + timedelta(days=10), reference=REF
    )
    with pytest.raises(ValidationError) as raised:  # starts within the first one
        grant_role(
            lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=now + timedelta(days=5), reference=REF
        )
    assert raised.value.code == "duplicate"
    # Starting the moment the first one ends is fine.
    second = grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=first.valid_to, reference=REF)
    assert second.valid_from == first.valid_to
    # A revoked grant no longer blocks a new one.
    revoke_role(lena, first.pk)
    grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_to=now + timedelta(days=5), reference=REF)


def test_the_same_region_role_twice_is_refused(demo: Demo) -> None:
    rita, nils = demo.member("rita"), demo.member("nils")
    grant_role(rita, nils, Role.ACCOUNT_ADMIN, region=demo.region, reference=REF)
    with pytest.raises(ValidationError) as raised:
        grant_role(rita, nils, Role.ACCOUNT_ADMIN, region=demo.region, reference=REF)
    assert raised.value.code == "duplicate"


@pytest.mark.parametrize("scope", ["unit", "region", "platform"])
def test_the_database_refuses_two_open_ended_grants(demo: Demo, scope: str) -> None:
    """The backstop for code that skips the action: two grants without an end always overlap."""
    nils = demo.member("nils")
    scopes: dict[str, tuple[str, dict[str, Any]]] = {
        "unit": (Role.CASE_HANDLER, {"unit": demo.unit("solna")}),
        "region": (Role.ACCOUNT_ADMIN, {"region": demo.region}),
        "platform": (Role.SUPPORT, {}),
    }
    role, where = scopes[scope]
    RoleGrant.objects.create(staff=nils, role=role, **where)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(staff=nils, role=role, **where)
    # With an end, or revoked, the database lets it be (the action checks the periods).
    RoleGrant.objects.create(staff=nils, role=role, valid_to=timezone.now() + timedelta(days=1), **where)
    RoleGrant.objects.create(staff=nils, role=role, revoked_at=timezone.now(), **where)
    assert RoleGrant.objects.filter(staff=nils).count() == 3


def test_a_start_in_the_past_is_refused_and_today_means_now(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    with pytest.raises(ValidationError) as raised:
        grant_role(
            lena,
            nils,
            Role.CASE_HANDLER,
            unit=solna,
            valid_from=timezone.now() - timedelta(days=1),
            reference=REF,
        )
    assert raised.value.code == "past"
    assert not RoleGrant.objects.filter(staff=nils).exists()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    before = timezone.now()
    grant = grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=midnight, reference=REF)
    assert grant.valid_from >= before  # not back-dated to midnight


def test_a_grant_needs_a_reference_to_the_analysis(demo: Demo) -> None:
    with pytest.raises(ValidationError) as raised:
        grant_role(
            demo.member("lena"),
            demo.member("nils"),
            Role.CASE_HANDLER,
            unit=demo.unit("solna"),
            reference=" ",
        )
    assert raised.value.code == "reference"
    assert not RoleGrant.objects.filter(staff=demo.member("nils")).exists()


def test_the_history_of_a_region_grant_names_the_region(demo: Demo) -> None:
    rita, nils = demo.member("rita"), demo.member("nils")
    grant = grant_role(rita, nils, Role.ACCOUNT_ADMIN, region=demo.region, reference=REF)
    revoke_role(rita, grant.pk)
    events = list(RoleGrantEvent.objects.filter(grant=grant).order_by("at", "pk"))
    assert [(e.event, e.actor, e.region, e.unit, e.role) for e in events] == [
        (GrantEvent.GRANTED, rita, demo.region, None, Role.ACCOUNT_ADMIN),
        (GrantEvent.REVOKED, rita, demo.region, None, Role.ACCOUNT_ADMIN),
    ]
    unit_grant = grant_role(
        demo.member("lena"), nils, Role.CASE_HANDLER, unit=demo.unit("solna"), reference=REF
    )
    event = RoleGrantEvent.objects.get(grant=unit_grant)
    assert (event.unit, event.region) == (demo.unit("solna"), None)


def test_an_end_date_must_be_in_the_future_and_after_the_start(demo: Demo) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    start = timezone.now() + timedelta(days=5)
    grant = grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=start, reference=REF)
    for bad in (timezone.now() - timedelta(hours=1), start, start - timedelta(days=1)):
        with pytest.raises(ValidationError) as raised:
            set_role_end(lena, grant.pk, bad)
        assert raised.value.code == "period"
    assert RoleGrant.objects.get(pk=grant.pk).valid_to is None
    set_role_end(lena, grant.pk, start + timedelta(days=1))
    assert AccessLogEntry.objects.filter(action="role.end_set", object_id=str(grant.pk)).count() == 1
