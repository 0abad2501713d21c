"""A unit manager asks for a local administrator; the region approves (granting LOCAL_ADMIN even when
the unit already has one, with the request as the grant's reference) or rejects with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from vardkontakt.conftest import log_in_staff
from vardkontakt.identity.models import Staff
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.models import Decision, Lifecycle, LocalAdminRequest
from vardkontakt.onboarding.tests.conftest import World, put_in_state
from vardkontakt.roles.actions import end_grants_at_unit, grant_local_admin_by_region, grant_role_by_operator
from vardkontakt.roles.models import Role, RoleGrant

NEW_HSA = "SE2321000016-N900"


def ask(world: World, **changes: Any) -> LocalAdminRequest:
    values = {"hsa_id": NEW_HSA, "given_name": "Nora", "family_name": "Ny", "reason": "Lena går i pension"}
    values.update(changes)
    return actions.request_local_admin(world.member("vera"), world.unit("solna").pk, **values)


def test_approval_grants_a_further_local_admin(world: World) -> None:
    solna = world.unit("solna")
    assert RoleGrant.objects.in_force().filter(unit=solna, role=Role.LOCAL_ADMIN).exists()  # Lena
    request = ask(world)
    rita = world.member("rita")
    actions.approve_local_admin_request(rita, request.pk)
    request.refresh_from_db()
    nora = Staff.objects.get(hsa_id=NEW_HSA)  # created: she had never logged in
    assert (nora.given_name, nora.family_name) == ("Nora", "Ny")
    assert request.decision == Decision.APPROVED and request.decided_by == rita
    grant = request.grant
    assert grant is not None
    assert (grant.staff, grant.role, grant.unit, grant.granted_by) == (nora, Role.LOCAL_ADMIN, solna, rita)
    assert grant.reference == f"Begäran om lokal administratör {request.pk}"
    assert RoleGrant.objects.in_force().filter(unit=solna, role=Role.LOCAL_ADMIN).count() == 2


def test_rejection_needs_a_reason(world: World) -> None:
    request = ask(world)
    with pytest.raises(ValidationError):
        actions.reject_local_admin_request(world.member("rita"), request.pk, "")
    actions.reject_local_admin_request(
        world.member("rita"), request.pk, "Gör en behovs- och riskanalys först"
    )
    request.refresh_from_db()
    assert request.decision == Decision.REJECTED and request.grant is None
    assert not Staff.objects.filter(hsa_id=NEW_HSA).exists()
    with pytest.raises(ValidationError):  # decided once
        actions.approve_local_admin_request(world.member("rita"), request.pk)


BAD = {
    "malformed HSA-id": ({"hsa_id": "SE232-1"}, "hsa_id"),
    "a unit's HSA-id": ({"hsa_id": "SE2321000016-1001"}, "hsa_id"),
    "no name": ({"given_name": " "}, "given_name"),
    "already local admin": ({"hsa_id": "SE2321000016-L001"}, "hsa_id"),  # Lena
}


@pytest.mark.parametrize(("changes", "field"), BAD.values(), ids=BAD.keys())
def test_bad_requests_are_refused(world: World, changes: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ask(world, **changes)
    assert field in refused.value.message_dict
    assert not LocalAdminRequest.objects.exists()


def test_a_second_pending_request_for_the_same_person_is_refused(world: World) -> None:
    ask(world)
    with pytest.raises(ValidationError) as refused:
        ask(world, hsa_id=NEW_HSA.lower())
    assert "väntar på beslut" in refused.value.message_dict["hsa_id"][0]
    assert LocalAdminRequest.objects.count() == 1


def test_only_a_connected_unit_may_ask(world: World) -> None:
    unit = world.unit("vaccination")
    put_in_state(unit, Lifecycle.APPLIED)
    grant_role_by_operator(world.member("vera"), Role.UNIT_MANAGER, unit=unit)
    with pytest.raises(ValidationError):
        actions.request_local_admin(
            world.member("vera"), unit.pk, hsa_id=NEW_HSA, given_name="Nora", family_name="Ny"
        )


def test_the_local_admin_may_not_ask(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.request_local_admin(
            world.member("lena"), world.unit("solna").pk, hsa_id=NEW_HSA, given_name="Nora", family_name="Ny"
        )


def test_over_http(world: World) -> None:
    solna = world.unit("solna")
    vera = log_in_staff(Client(), world.member("vera"))
    refused = vera.post(
        reverse("onboarding:unit", args=[solna.pk]),
        {"action": "request_local_admin", "lokaladmin-hsa_id": "x"},
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "govuk-error-summary" in page and 'href="#id_lokaladmin-hsa_id"' in page
    sent = vera.post(
        reverse("onboarding:unit", args=[solna.pk]),
        {
            "action": "request_local_admin",
            "lokaladmin-hsa_id": NEW_HSA,
            "lokaladmin-given_name": "Nora",
            "lokaladmin-family_name": "Ny",
        },
    )
    assert sent.status_code == 302
    request = LocalAdminRequest.objects.get()
    rita = log_in_staff(Client(), world.member("rita"))
    assert (
        reverse("onboarding:local_admin_request", args=[request.pk])
        in rita.get(reverse("onboarding:overview")).content.decode()
    )
    done = rita.post(reverse("onboarding:local_admin_request", args=[request.pk]), {"action": "approve"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.decision == Decision.APPROVED


def test_the_roles_actions_refuse_anyone_but_the_units_region_administrator(world: World) -> None:
    solna, hans = world.unit("solna"), world.member("hans")
    for actor in ("lena", "vera", "ulla"):
        with pytest.raises(PermissionDenied):
            grant_local_admin_by_region(world.member(actor), hans, solna, reference="Begäran")
        with pytest.raises(PermissionDenied):
            end_grants_at_unit(world.member(actor), solna)
    assert not RoleGrant.objects.filter(staff=hans, role=Role.LOCAL_ADMIN).exists()
    assert (
        RoleGrant.objects.in_force().filter(unit=solna).count()
        == RoleGrant.objects.filter(unit=solna).count()
    )
