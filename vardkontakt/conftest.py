"""Persona fixtures shared by every app's tests.

``demo`` seeds the demo region (web/demo.py) and hands back its people and units by key; the
``*_client`` helpers log a persona in through the demo e-ID provider, as a browser would.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from vardkontakt.directory.models import Region, Unit
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.web import demo as demo_data


@dataclass
class Demo:
    region: Region
    units: dict[str, Unit]
    residents: dict[str, Resident]
    staff: dict[str, Staff]

    def unit(self, key: str) -> Unit:
        return self.units[key]

    def resident(self, key: str) -> Resident:
        return self.residents[key]

    def member(self, key: str) -> Staff:
        return self.staff[key]


@pytest.fixture
def demo(db: None) -> Demo:
    demo_data.seed()
    units = {spec.key: Unit.objects.get(name=spec.name) for spec in demo_data.UNITS}
    residents = {
        spec.key: Resident.objects.get(given_name=spec.given, family_name=spec.family)
        for spec in demo_data.RESIDENTS
    }
    staff = {
        spec.key: Staff.objects.get(hsa_id=f"SE{demo_data.REGION_ORG}-{spec.hsa_suffix}")
        for spec in demo_data.STAFF
    }
    return Demo(region=Region.objects.get(code="01"), units=units, residents=residents, staff=staff)


def log_in_resident(client: Client, resident: Resident) -> Client:
    response = client.post(reverse("identity:demo_resident_login"), {"person": str(resident.pk)})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("web:resident_home")
    return client


def log_in_staff(client: Client, staff: Staff) -> Client:
    response = client.post(reverse("identity:demo_staff_login"), {"person": str(staff.pk)})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("web:staff_home")
    return client


@pytest.fixture
def resident_client(demo: Demo) -> Client:
    """Anna Andersson, an adult in Solna with three children (two under 13)."""
    return log_in_resident(Client(), demo.resident("anna"))


@pytest.fixture
def staff_client(demo: Demo) -> Client:
    """Maria Malm, case receiver at Vårdcentral Solna."""
    return log_in_staff(Client(), demo.member("maria"))
