"""The demo region: fictional units, staff and residents for the demo, the tests and the browser walk.

Every personnummer here is one of Skatteverket's official test numbers (data/testpersonnummer.csv);
``seed`` refuses any other. HSA-ids use Region Stockholm's organisation number with made-up suffixes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from vardkontakt.cases.actions import activate_case_type
from vardkontakt.cases.basic_types import install as install_basic_types
from vardkontakt.cases.models import CaseType
from vardkontakt.directory.models import (
    Agreement,
    CareProvider,
    CareType,
    EService,
    Region,
    Unit,
    UnitEService,
    UnitStatus,
)
from vardkontakt.identity.adapters import local_register
from vardkontakt.identity.models import Staff, User, UserKind
from vardkontakt.identity.register import update_from_register
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role, RoleGrant

TEST_NUMBERS = Path(settings.BASE_DIR) / "data" / "testpersonnummer.csv"


@cache
def official_test_numbers() -> frozenset[str]:
    with TEST_NUMBERS.open(newline="") as handle:
        return frozenset(row[0] for row in csv.reader(handle) if row and row[0].isdigit())


@dataclass(frozen=True)
class DemoUnit:
    key: str
    hsa_suffix: str
    name: str
    care_type: str
    municipality: str
    city: str
    street: str
    postal_code: str
    lat: str
    lon: str
    status: str = UnitStatus.ACTIVE
    services: tuple[str, ...] = ()
    provider: str = "region"
    description: str = ""
    agreement: bool = True  # an agreement with the region in force: visible in "Hitta vård"


@dataclass(frozen=True)
class DemoResident:
    """A person of the local population register (data/population-register.json), by a short key."""

    key: str
    number: str


@dataclass(frozen=True)
class DemoStaff:
    key: str
    hsa_suffix: str
    given: str
    family: str
    title: str
    roles: tuple[tuple[str, str], ...]  # (role, unit key or "region" or "platform")


REGION_ORG = "2321000016"
AGREEMENTS_FROM = date(2026, 1, 1)
HOURS = "Måndag–fredag 08.00–17.00\nLördag–söndag stängt"

UNITS = [
    DemoUnit(
        "solna",
        "1001",
        "Vårdcentral Solna",
        CareType.PRIMARY_CARE,
        "0184",
        "Solna",
        "Solnavägen 1",
        "171 64",
        "59.36004",
        "18.00097",
        services=(EService.CASES, EService.BOOKING, EService.PRESCRIPTIONS, EService.JOURNAL),
        description="Vi är en vårdcentral för alla åldrar. Skriv till oss via Vårdkontakt så svarar vi inom två arbetsdagar.",
    ),
    DemoUnit(
        "sodermalm",
        "1002",
        "Vårdcentral Södermalm",
        CareType.PRIMARY_CARE,
        "0180",
        "Stockholm",
        "Götgatan 50",
        "118 26",
        "59.31329",
        "18.07275",
        services=(EService.CASES, EService.BOOKING, EService.PRESCRIPTIONS),
    ),
    DemoUnit(
        "bvc_taby",
        "1003",
        "Barnavårdscentralen Täby",
        CareType.PRIMARY_CARE,
        "0160",
        "Täby",
        "Stationsvägen 12",
        "183 50",
        "59.44390",
        "18.06870",
        services=(EService.CASES, EService.BOOKING),
    ),
    DemoUnit(
        "ortopeden",
        "2001",
        "Ortopedmottagningen Danderyds sjukhus",
        CareType.SPECIALIST,
        "0162",
        "Danderyd",
        "Mörbygårdsvägen 5",
        "182 88",
        "59.39179",
        "18.04136",
        services=(EService.CASES, EService.BOOKING),
    ),
    DemoUnit(
        "reuma",
        "2002",
        "Reumatologmottagningen Solna",
        CareType.SPECIALIST,
        "0184",
        "Solna",
        "Eugeniavägen 3",
        "171 76",
        "59.35040",
        "18.03260",
        services=(EService.CASES, EService.RHEUMATOLOGY),
    ),
    DemoUnit(
        "mammografi",
        "3001",
        "Mammografi City",
        CareType.MAMMOGRAPHY,
        "0180",
        "Stockholm",
        "Sveavägen 20",
        "111 57",
        "59.33530",
        "18.06390",
        services=(EService.MAMMOGRAPHY, EService.BOOKING),
    ),
    DemoUnit(
        "tandvard",
        "4001",
        "Folktandvården Sankt Eriksplan",
        CareType.DENTAL,
        "0180",
        "Stockholm",
        "Sankt Eriksgatan 60",
        "113 34",
        "59.33950",
        "18.03700",
        services=(EService.DENTAL_CERTIFICATE, EService.BOOKING),
    ),
    DemoUnit(
        "tolk",
        "5001",
        "Tolkcentralen Stockholm",
        CareType.INTERPRETING,
        "0180",
        "Stockholm",
        "Hantverkargatan 11",
        "112 21",
        "59.33150",
        "18.04600",
        services=(EService.INTERPRETER,),
    ),
    DemoUnit(
        "patientnamnden",
        "6001",
        "Patientnämnden Region Stockholm",
        CareType.COMPLAINTS,
        "0180",
        "Stockholm",
        "Hantverkargatan 45",
        "112 21",
        "59.33190",
        "18.03860",
        services=(EService.COMPLAINTS,),
    ),
    DemoUnit(
        "vaccination",
        "7001",
        "Vaccinationsmottagning Solna",
        CareType.OTHER,
        "0184",
        "Solna",
        "Råsundavägen 100",
        "169 57",
        "59.36300",
        "17.99900",
        status=UnitStatus.LISTED,
        provider="private",
    ),
    DemoUnit(
        "nacka",
        "7002",
        "Vårdcentral Nacka",
        CareType.PRIMARY_CARE,
        "0182",
        "Nacka",
        "Griffelvägen 1",
        "131 40",
        "59.31070",
        "18.16380",
        status=UnitStatus.LISTED,
        provider="private",
        agreement=False,
    ),
]

RESIDENTS = [
    DemoResident("anna", "198701022389"),  # guardian of Elsa (10), Leo (12) and Oskar (14)
    DemoResident("elsa", "201601022385"),
    DemoResident("leo", "201401012396"),
    DemoResident("oskar", "201203052392"),
    DemoResident("lars", "195801122655"),
    DemoResident("kim", "199001012385"),  # protected identity
    DemoResident("per", "197001239297"),  # registered in Malmö, outside the region
    DemoResident("gunnar", "194501128278"),
    DemoResident("gosta", "194501103297"),  # deceased
]

STAFF = [
    DemoStaff("lena", "L001", "Lena", "Lind", "Lokal administratör", ((Role.LOCAL_ADMIN, "solna"),)),
    DemoStaff("bo", "B001", "Bo", "Berglund", "Behörighetsadministratör", ((Role.ACCESS_ADMIN, "solna"),)),
    DemoStaff("maria", "M001", "Maria", "Malm", "Undersköterska", ((Role.CASE_RECEIVER, "solna"),)),
    DemoStaff("hans", "H001", "Hans", "Holm", "Distriktsläkare", ((Role.CASE_HANDLER, "solna"),)),
    DemoStaff("hedvig", "H002", "Hedvig", "Hammar", "Distriktssköterska", ((Role.CASE_HANDLER, "solna"),)),
    DemoStaff("greta", "G001", "Greta", "Gran", "Granskare", ((Role.LOG_REVIEWER, "solna"),)),
    DemoStaff("vera", "V001", "Vera", "Vik", "Verksamhetschef", ((Role.UNIT_MANAGER, "solna"),)),
    DemoStaff(
        "olle",
        "O001",
        "Olle",
        "Ek",
        "Sjuksköterska",
        ((Role.CASE_RECEIVER, "ortopeden"), (Role.CASE_HANDLER, "ortopeden")),
    ),
    DemoStaff("karl", "K001", "Karl", "Kvist", "Kontoadministratör", ((Role.ACCOUNT_ADMIN, "region"),)),
    DemoStaff("rita", "R001", "Rita", "Rask", "Förvaltning 1177", ((Role.REGION_ADMIN, "region"),)),
    DemoStaff("sam", "S001", "Sam", "Sund", "Support 1177", ((Role.SUPPORT, "platform"),)),
    DemoStaff("nils", "N001", "Nils", "Nord", "Läkare utan behörighet", ()),
]


def _staff(spec: DemoStaff) -> Staff:
    hsa_id = f"SE{REGION_ORG}-{spec.hsa_suffix}"
    staff = Staff.objects.filter(hsa_id=hsa_id).first() or Staff(
        user=User.objects.create_user(UserKind.STAFF), hsa_id=hsa_id
    )
    staff.given_name, staff.family_name, staff.title = spec.given, spec.family, spec.title
    staff.full_clean(exclude=["user"])
    staff.save()
    return staff


@transaction.atomic
def seed() -> dict[str, int]:
    region, _ = Region.objects.update_or_create(code="01", defaults={"name": "Region Stockholm"})
    providers = {
        "region": CareProvider.objects.update_or_create(
            hsa_id=f"SE{REGION_ORG}-0001",
            defaults={"name": "Region Stockholm", "organisation_number": REGION_ORG, "region": region},
        )[0],
        "private": CareProvider.objects.update_or_create(
            hsa_id="SE5599999999-0001",
            defaults={"name": "Demovården AB", "organisation_number": "5599999999", "region": region},
        )[0],
    }
    units: dict[str, Unit] = {}
    for spec in UNITS:
        unit, _ = Unit.objects.update_or_create(
            hsa_id=f"SE{providers[spec.provider].organisation_number}-{spec.hsa_suffix}",
            defaults={
                "name": spec.name,
                "provider": providers[spec.provider],
                "region": region,
                "care_type": spec.care_type,
                "status": spec.status,
                "street_address": spec.street,
                "postal_code": spec.postal_code,
                "city": spec.city,
                "municipality_code": spec.municipality,
                "latitude": Decimal(spec.lat),
                "longitude": Decimal(spec.lon),
                "phone": "08-123 456 00",
                "opening_hours": HOURS,
                "description": spec.description,
            },
        )
        for service in spec.services:
            UnitEService.objects.update_or_create(unit=unit, service=service, defaults={"active": True})
        if spec.agreement:
            Agreement.objects.get_or_create(
                unit=unit, reference=f"RS 2026-{spec.hsa_suffix}", defaults={"valid_from": AGREEMENTS_FROM}
            )
        units[spec.key] = unit
    # The basic services at every clinic that offers cases (installed again: a flushed database
    # has lost what the migration put there).
    install_basic_types(CaseType)
    basic_types = list(CaseType.objects.filter(basic=True, unit__isnull=True))
    for unit in units.values():
        if (
            unit.status == UnitStatus.ACTIVE
            and unit.eservices.filter(service=EService.CASES, active=True).exists()
        ):
            for case_type in basic_types:
                activate_case_type(unit, case_type)
    register = local_register()
    for record in register.people():
        if record.personnummer not in official_test_numbers():
            raise ValueError(
                "the demo population register holds a number that is not an official test number"
            )
        update_from_register(record)
    residents = register.people()
    for staff_spec in STAFF:
        staff = _staff(staff_spec)
        for role, where in staff_spec.roles:
            at_unit = units.get(where)
            in_region = region if where == "region" else None
            if (
                not RoleGrant.objects.in_force()
                .filter(staff=staff, role=role, unit=at_unit, region=in_region)
                .exists()
            ):
                grant_role_by_operator(
                    staff,
                    role,
                    unit=at_unit,
                    region=in_region,
                    reference="Demo: behovs- och riskanalys 2026-01",
                )
    return {"units": len(units), "residents": len(residents), "staff": len(STAFF)}
