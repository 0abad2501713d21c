"""Leaving the platform: refused while any case at the unit is open (and the refusal names the cases
by group), carried out when none is: the unit goes INACTIVE, its e-services leave the contact card,
residents cannot start cases there, every role at it ends, and residents keep their history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from vardkontakt.cases import actions as case_actions
from vardkontakt.cases.models import Case, CaseStatus
from vardkontakt.cases.tests.cases_world import send
from vardkontakt.conftest import log_in_resident, log_in_staff
from vardkontakt.directory.models import UnitEService, UnitStatus
from vardkontakt.identity.actions import record_consent
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.models import Decision, Lifecycle, LocalAdminRequest
from vardkontakt.onboarding.tests.conftest import World
from vardkontakt.roles.models import RoleGrant


def open_one_of_each(world: World) -> dict[str, Case]:
    """Three cases at Solna: one not distributed, one distributed (not answered), one answered."""
    demo = world.demo
    anna, lars = demo.resident("anna"), demo.resident("lars")
    maria, hans = world.member("maria"), world.member("hans")
    sent = send(anna.user, anna, "solna", demo, subject="Inte fördelat")
    distributed = send(lars.user, lars, "solna", demo, subject="Fördelat")
    case_actions.distribute_case(staff=maria, case_id=distributed.pk, handler_id=hans.pk)
    answered = send(anna.user, anna, "solna", demo, subject="Besvarat")
    case_actions.distribute_case(staff=maria, case_id=answered.pk, handler_id=hans.pk)
    case_actions.answer_case(staff=hans, case_id=answered.pk, body="Välkommen in på tisdag.")
    cases = {"undistributed": sent, "unanswered": distributed, "not_closed": answered}
    for case in cases.values():
        case.refresh_from_db()
    assert [c.status for c in cases.values()] == [
        CaseStatus.SENT,
        CaseStatus.DISTRIBUTED,
        CaseStatus.ANSWERED,
    ]
    return cases


def test_refused_with_open_cases_listing_each_kind(world: World) -> None:
    solna = world.unit("solna")
    cases = open_one_of_each(world)
    actions.request_deactivation(world.member("vera"), solna.pk, "Verksamheten flyttar")
    grants = RoleGrant.objects.in_force().filter(unit=solna).count()
    with pytest.raises(actions.DeactivationBlocked) as blocked:
        actions.deactivate_unit(world.member("rita"), solna.pk)
    assert blocked.value.blockers == {group: [case.number] for group, case in cases.items()}
    solna.refresh_from_db()
    assert solna.status == UnitStatus.ACTIVE and actions.state_of(solna) == Lifecycle.DEACTIVATION_REQUESTED
    assert RoleGrant.objects.in_force().filter(unit=solna).count() == grants


@pytest.mark.parametrize("group", ["undistributed", "unanswered", "not_closed"])
def test_any_one_kind_of_open_case_blocks(world: World, group: str) -> None:
    solna = world.unit("solna")
    cases = open_one_of_each(world)
    for other, case in cases.items():  # close all but one
        if other != group:
            Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    actions.request_deactivation(world.member("lena"), solna.pk, "Vi lämnar")
    with pytest.raises(actions.DeactivationBlocked) as blocked:
        actions.deactivate_unit(world.member("rita"), solna.pk)
    assert blocked.value.blockers == {
        key: [cases[group].number] if key == group else []
        for key in ("undistributed", "unanswered", "not_closed")
    }


def test_the_refusal_over_http_lists_case_numbers_without_content(world: World) -> None:
    solna = world.unit("solna")
    cases = open_one_of_each(world)
    actions.request_deactivation(world.member("vera"), solna.pk, "Vi lämnar")
    client = log_in_staff(Client(), world.member("rita"))
    response = client.post(reverse("onboarding:unit", args=[solna.pk]), {"action": "deactivate"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "govuk-error-summary" in page and "öppna ärenden" in page
    for label, case in zip(
        ("Ej fördelade", "Ej besvarade", "Besvarade men inte avslutade"), cases.values(), strict=True
    ):
        assert label in page and case.number in page
    assert "Inte fördelat" not in page and "Anna" not in page  # no subject, no resident
    solna.refresh_from_db()
    assert solna.status == UnitStatus.ACTIVE


def test_carried_out_when_nothing_is_open(world: World) -> None:
    demo = world.demo
    solna, anna = world.unit("solna"), demo.resident("anna")
    record_consent(anna)
    old = send(anna.user, anna, "solna", demo, subject="Gammal fråga")
    case_actions.close_case(staff=world.member("maria"), case_id=old.pk, reason="Klart")
    pending = LocalAdminRequest.objects.create(
        unit=solna,
        requested_by=world.member("vera"),
        hsa_id="SE2321000016-Z001",
        given_name="Z",
        family_name="Z",
    )
    rita = world.member("rita")
    assert Client().get(reverse("directory:unit", args=[solna.pk])).status_code == 200
    actions.request_deactivation(world.member("vera"), solna.pk, "Verksamheten läggs ned")
    change = actions.deactivate_unit(rita, solna.pk, "Enligt begäran")
    assert (change.from_state, change.to_state, change.by) == (
        Lifecycle.DEACTIVATION_REQUESTED,
        Lifecycle.INACTIVE,
        rita,
    )
    solna.refresh_from_db()
    assert solna.status == UnitStatus.INACTIVE
    # The contact card has no e-services, and residents cannot start cases there.
    assert (
        solna.active_eservices() == [] and not UnitEService.objects.filter(unit=solna, active=True).exists()
    )
    assert Client().get(reverse("directory:unit", args=[solna.pk])).status_code == 404  # off "Hitta vård"
    assert not case_actions.units_open_to(anna).filter(pk=solna.pk).exists()
    with pytest.raises(ValidationError):
        send(anna.user, anna, solna, demo, subject="Ny fråga")
    # Every role at the unit has ended, revoked by the region administrator now.
    grants = RoleGrant.objects.filter(unit=solna)
    assert grants.exists() and not RoleGrant.objects.in_force().filter(unit=solna).exists()
    assert all(g.revoked_by == rita and g.revoked_at is not None for g in grants)
    pending.refresh_from_db()
    assert pending.decision == Decision.REJECTED
    # Lena had no other role: her next request ends her session.
    lena = log_in_staff(Client(), world.member("lena"))
    assert lena.get(reverse("web:staff_home"))["Location"] == reverse("identity:staff_login")
    # The resident still reads her history with the clinic.
    resident = log_in_resident(Client(), anna)
    page = resident.get(reverse("cases:detail", args=[old.pk]))
    assert page.status_code == 200 and "Gammal fråga" in page.content.decode()


def test_deactivation_over_http(world: World) -> None:
    solna = world.unit("solna")
    vera = log_in_staff(Client(), world.member("vera"))
    refused = vera.post(reverse("onboarding:unit", args=[solna.pk]), {"action": "request_deactivation"})
    assert refused.status_code == 400 and "Skriv ett skäl" in refused.content.decode()
    asked = vera.post(
        reverse("onboarding:unit", args=[solna.pk]),
        {"action": "request_deactivation", "begaran-reason": "Vi flyttar till Sundbyberg"},
    )
    assert asked.status_code == 302
    rita = log_in_staff(Client(), world.member("rita"))
    overview = rita.get(reverse("onboarding:overview")).content.decode()
    assert reverse("onboarding:unit", args=[solna.pk]) in overview
    page = rita.get(reverse("onboarding:unit", args=[solna.pk])).content.decode()
    assert "Vi flyttar till Sundbyberg" in page and "Inga ärenden är öppna" in page
    done = rita.post(reverse("onboarding:unit", args=[solna.pk]), {"action": "deactivate"})
    assert done.status_code == 302
    solna.refresh_from_db()
    assert solna.status == UnitStatus.INACTIVE


def test_the_unit_may_withdraw_and_the_region_may_decline(world: World) -> None:
    solna = world.unit("solna")
    actions.request_deactivation(world.member("lena"), solna.pk, "Vi lämnar")
    with pytest.raises(ValidationError):
        actions.cancel_deactivation(world.member("lena"), solna.pk, "")  # a reason is required
    actions.cancel_deactivation(world.member("lena"), solna.pk, "Vi ångrade oss")
    assert actions.state_of(solna) == Lifecycle.ACTIVE
    actions.request_deactivation(world.member("vera"), solna.pk, "Vi lämnar ändå")
    actions.cancel_deactivation(world.member("rita"), solna.pk, "Avtalet gäller året ut")
    assert actions.state_of(solna) == Lifecycle.ACTIVE
    solna.refresh_from_db()
    assert solna.status == UnitStatus.ACTIVE
