"""A second region next to the demo one, so that the role matrix can test "another region" too."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from vardkontakt import conftest
from vardkontakt.conftest import Demo, OtherRegion
from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Staff


@dataclass
class World:
    demo: Demo
    other_region: Region
    other_unit: Unit
    people: dict[str, Staff]

    def member(self, key: str) -> Staff:
        return self.people[key]


def make_staff(hsa_suffix: str, given: str, family: str = "Test") -> Staff:
    return conftest.make_staff(f"SE2321000016-{hsa_suffix}", given, family)


@pytest.fixture
def world(demo: Demo, other_region: OtherRegion) -> World:
    people = dict(demo.staff)
    people["ulla"] = other_region.admin
    people["tina"] = make_staff("T001", "Tina", "Target")  # the one who receives grants
    return World(demo=demo, other_region=other_region.region, other_unit=other_region.unit, people=people)
