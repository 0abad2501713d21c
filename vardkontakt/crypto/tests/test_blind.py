"""The blind index: a resident is found by personnummer in any written form, without decrypting."""

from __future__ import annotations

import hashlib

import pytest

from vardkontakt.conftest import Demo
from vardkontakt.crypto.blind import blind_index
from vardkontakt.crypto.tests.test_fields import make_resident
from vardkontakt.identity.models import Resident
from vardkontakt.web import demo as demo_data

ANNA = "198701022389"  # data/testpersonnummer.csv
OLD = "189001019802"  # data/testpersonnummer.csv: born 1890, so written with a plus today
SAMORDNING = "191401682396"  # data/testsamordningsnummer.csv


def test_the_index_is_keyed_and_separated_by_purpose() -> None:
    index = blind_index("personnummer", ANNA)
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert index == blind_index("personnummer", ANNA)
    assert index != blind_index("personnummer", "198701022397")
    assert index != blind_index("other-purpose", ANNA)
    assert index != hashlib.sha256(ANNA.encode()).hexdigest()  # not guessable without the key


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "written"),
    [
        (ANNA, "198701022389"),
        (ANNA, "19870102-2389"),
        (ANNA, "8701022389"),
        (ANNA, "870102-2389"),
        (ANNA, "  870102-2389\t\n"),
        (OLD, "189001019802"),
        (OLD, "18900101-9802"),
        (OLD, "900101+9802"),
        (SAMORDNING, "191401682396"),
        (SAMORDNING, "140168+2396"),
    ],
)
def test_a_resident_is_found_by_any_accepted_form(number: str, written: str) -> None:
    wanted = make_resident(number, "Wanted")
    make_resident("195801122655", "Someone else")  # data/testpersonnummer.csv
    found = Resident.objects.by_personnummer(written)
    assert found is not None
    assert found.pk == wanted.pk
    assert found.pnr_index == blind_index("personnummer", number)


@pytest.mark.django_db
def test_an_unknown_number_finds_nobody() -> None:
    make_resident(ANNA)
    assert Resident.objects.by_personnummer("195801122655") is None
    # 900101-9802 (with a minus) is someone born 1990, not the resident born 1890.
    make_resident(OLD)
    assert Resident.objects.by_personnummer("900101-9802") is None


@pytest.mark.django_db
def test_every_demo_resident_is_found_and_stored_sealed(demo: Demo) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Resident._meta.db_table}")  # noqa: S608
        raw_rows = b"|".join(
            bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            for row in cursor.fetchall()
            for value in row
        )
    for spec in demo_data.RESIDENTS:
        resident = demo.resident(spec.key)
        assert resident.personnummer == spec.number
        short = f"{spec.number[2:8]}-{spec.number[8:]}"
        found = Resident.objects.by_personnummer(short)
        assert found is not None
        assert found.pk == resident.pk
        assert spec.number.encode() not in raw_rows
        assert spec.number[2:].encode() not in raw_rows
