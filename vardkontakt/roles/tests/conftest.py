"""A second region next to the demo one, so that the role matrix can test "another region" too."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from vardkontakt.conftest import Demo
from vardkontakt.directory.models import CareProvider, Region, Unit, UnitStatus
from vardkontakt.identity.models import Staff, User, UserKind
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role


@dataclass
class World:
    demo: Demo
    other_region: Region
    other_unit: Unit
    people: dict[str, Staff]

    def member(self, key: str) -> Staff:
        return self.people[key]


def make_staff(hsa_suffix: str, given: str, family: str = "Test") -> Staff:
    return Staff.objects.create(
        user=User.objects.create_user(UserKind.STAFF),
        hsa_id=f"SE2321000016-{hsa_suffix}",
        given_name=given,
        family_name=family,
    )


@pytest.fixture
def world(demo: Demo) -> World:
    uppsala = Region.objects.create(code="03", name="Region Uppsala")
    provider = CareProvider.objects.create(
        hsa_id="SE2321000024-0001", name="Region Uppsala", organisation_number="2321000024", region=uppsala
    )
    unit = Unit.objects.create(
        hsa_id="SE2321000024-1001",
        name="Vårdcentral Gränby",
        provider=provider,
        region=uppsala,
        status=UnitStatus.ACTIVE,
        municipality_code="0380",
    )
    ulla = make_staff("U001", "Ulla", "Uppsala")
    grant_role_by_operator(ulla, Role.REGION_ADMIN, region=uppsala)
    people = dict(demo.staff)
    people["ulla"] = ulla
    people["tina"] = make_staff("T001", "Tina", "Target")  # the one who receives grants
    return World(demo=demo, other_region=uppsala, other_unit=unit, people=people)
