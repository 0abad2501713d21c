"""The onboarding world: the demo region, a second region with its own region administrator (Ulla),
and helpers that submit applications and put a unit in a given lifecycle state.

Vaccinationsmottagning Solna is the demo's unit that has an agreement but is not connected (LISTED);
Vårdcentral Nacka is listed without an agreement; Vårdcentral Solna is connected (ACTIVE)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from vardkontakt.conftest import Demo, OtherRegion
from vardkontakt.directory.models import EService, Region, Unit, UnitStatus
from vardkontakt.identity.models import Staff
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.models import Application, Connection, Decision, Lifecycle, token_digest

BASE_URL = "https://vardkontakt.example"
NEW_ADMIN_HSA = "SE5599999999-A001"  # a valid HSA-id Vårdkontakt has never seen


@dataclass
class World:
    demo: Demo
    other_region: Region
    other_unit: Unit
    people: dict[str, Staff]

    def member(self, key: str) -> Staff:
        return self.people[key]

    def unit(self, key: str) -> Unit:
        return self.demo.unit(key)


@pytest.fixture
def world(demo: Demo, other_region: OtherRegion) -> World:
    people = dict(demo.staff)
    people["ulla"] = other_region.admin
    return World(demo=demo, other_region=other_region.region, other_unit=other_region.unit, people=people)


def apply_for(
    unit: Unit,
    *,
    admins: list[actions.AdminProposal] | None = None,
    services: list[str] | None = None,
    email: str = "chef@vaccination.example",
) -> Application:
    return actions.submit_application(
        unit_hsa_id=unit.hsa_id,
        applicant_name="Vilma Verksam",
        contact_email=email,
        admins=admins if admins is not None else [actions.AdminProposal(NEW_ADMIN_HSA, "Alva", "Admin")],
        services=services if services is not None else [EService.CASES, EService.BOOKING],
        language="sv",
        base_url=BASE_URL,
    )


def put_in_state(unit: Unit, state: str, *, pending: bool = True, approved: bool = True) -> None:
    """Force ``unit`` into ``state`` (test set-up, not an action), with the directory's projection to
    match, a pending application (``pending``) and an approved earlier one (``approved``)."""
    Connection.objects.update_or_create(unit=unit, defaults={"state": state})
    status = {
        Lifecycle.ACTIVE: UnitStatus.ACTIVE,
        Lifecycle.DEACTIVATION_REQUESTED: UnitStatus.ACTIVE,
        Lifecycle.INACTIVE: UnitStatus.INACTIVE,
    }.get(Lifecycle(state), UnitStatus.LISTED)
    Unit.objects.filter(pk=unit.pk).update(status=status)
    unit.refresh_from_db()
    for decision, wanted in ((Decision.PENDING, pending), (Decision.APPROVED, approved)):
        if wanted:
            application = Application(
                unit=unit,
                applicant_name="Vilma Verksam",
                services=[EService.CASES],
                token_digest=token_digest(f"{unit.pk}-{decision}"),
                decision=decision,
            )
            application.contact_email = "chef@vaccination.example"
            application.save()
