"""Persona fixtures shared by every app's tests.

``demo`` seeds the demo region (web/demo.py) and hands back its people and units by key; the
``*_client`` helpers give a persona the session a completed e-ID login leaves behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from django.test import Client

from vardkontakt.directory.models import CareProvider, Region, Unit, UnitStatus
from vardkontakt.identity.actions import record_consent
from vardkontakt.identity.models import Resident, Staff, User, UserKind
from vardkontakt.identity.session import AUTH_AT_KEY, BACKEND, METHOD_KEY, REALM_KEY, SEEN_AT_KEY, Realm
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role
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
        spec.key: Resident.objects.get(pnr_index=Resident.index_for(spec.number))
        for spec in demo_data.RESIDENTS
    }
    staff = {
        spec.key: Staff.objects.get(hsa_id=f"SE{demo_data.REGION_ORG}-{spec.hsa_suffix}")
        for spec in demo_data.STAFF
    }
    return Demo(region=Region.objects.get(code="01"), units=units, residents=residents, staff=staff)


@dataclass
class OtherRegion:
    """Region Uppsala beside the demo region: one connected unit and its region administrator, Ulla,
    for the "another region" rows of the access matrices."""

    region: Region
    unit: Unit
    admin: Staff


def make_staff(hsa_id: str, given: str, family: str = "Test", title: str = "") -> Staff:
    """A member of staff with no role (yet)."""
    return Staff.objects.create(
        user=User.objects.create_user(UserKind.STAFF),
        hsa_id=hsa_id,
        given_name=given,
        family_name=family,
        title=title,
    )


@pytest.fixture
def other_region(demo: Demo) -> OtherRegion:
    uppsala = Region.objects.create(code="03", name="Region Uppsala", support_text="Uppsalas servicedesk")
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
    ulla = make_staff("SE2321000024-U001", "Ulla", "Uppsala")
    grant_role_by_operator(ulla, Role.REGION_ADMIN, region=uppsala)
    return OtherRegion(region=uppsala, unit=unit, admin=ulla)


def _start_session(client: Client, user: User, realm: Realm) -> Client:
    """The session an e-ID login leaves behind (identity.session.start_session), without running an
    e-ID protocol: for tests of everything but login. The e-ID tests run the real protocols."""
    client.force_login(user, backend=BACKEND)
    session = client.session
    now = int(time.time())
    session.update({REALM_KEY: realm.value, AUTH_AT_KEY: now, SEEN_AT_KEY: now, METHOD_KEY: "test"})
    session.save()
    return client


def log_in_resident(client: Client, resident: Resident, *, consented: bool = True) -> Client:
    """Log ``resident`` in, as one who has accepted the terms at an earlier login unless told not to."""
    if consented and resident.consented_at is None:
        record_consent(resident)
        resident.refresh_from_db()
    return _start_session(client, resident.user, Realm.RESIDENT)


def log_in_staff(client: Client, staff: Staff) -> Client:
    return _start_session(client, staff.user, Realm.STAFF)


@pytest.fixture
def resident_client(demo: Demo) -> Client:
    """Anna Andersson, an adult in Solna with three children (two under 13)."""
    return log_in_resident(Client(), demo.resident("anna"))


@pytest.fixture
def staff_client(demo: Demo) -> Client:
    """Maria Malm, case receiver at Vårdcentral Solna."""
    return log_in_staff(Client(), demo.member("maria"))
