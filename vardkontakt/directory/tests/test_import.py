"""The catalogue feed importer: ``manage.py import_units FILE``."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError

from vardkontakt.directory.models import CareProvider, Region, Unit, UnitEService, UnitStatus

SAMPLES = Path(settings.BASE_DIR) / "data" / "catalogue"
SAMPLE_HSA_IDS = {f"SE2321000016-910{n}" for n in (1, 2, 3)} | {f"SE5599999998-910{n}" for n in (4, 5)}
HEADER = (
    "hsa_id,name,provider_hsa_id,provider_name,provider_org_number,region_code,care_type,street_address,"
    "postal_code,city,municipality_code,latitude,longitude,phone,opening_hours,eservices"
)


@pytest.fixture
def region(db: None) -> Region:
    return Region.objects.create(code="01", name="Region Stockholm")


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_units", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def unit_row(**changes: Any) -> dict[str, Any]:
    """One valid JSON unit, with ``changes`` applied (a value of None removes the key)."""
    row: dict[str, Any] = {
        "hsa_id": "SE2321000016-8001",
        "name": "Vårdcentral Provrör",
        "provider_hsa_id": "SE2321000016-0001",
        "provider_name": "Region Stockholm",
        "provider_org_number": "2321000016",
        "region_code": "01",
        "care_type": "primary_care",
        "street_address": "Provgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "municipality_code": "0180",
        "latitude": "59.33",
        "longitude": "18.06",
        "phone": "08-000 002 01",
        "opening_hours": "Alltid",
        "eservices": ["cases"],
    }
    row.update(changes)
    return {key: value for key, value in row.items() if value is not None}


def write_json(tmp_path: Path, rows: object, name: str = "feed.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def snapshot() -> list[tuple[Any, ...]]:
    """Everything the importer may write, to compare before and after."""
    return [
        *CareProvider.objects.order_by("hsa_id").values_list(),
        *Unit.objects.order_by("hsa_id").values_list(),
        *UnitEService.objects.order_by("id").values_list(),
    ]


# Happy paths


def test_csv_sample_creates_units_and_providers(region: Region) -> None:
    out, err = run(SAMPLES / "sample-units.csv")

    assert out.strip() == "created 5, updated 0, unchanged 0, rejected 0"
    assert err == ""
    assert set(Unit.objects.values_list("hsa_id", flat=True)) == SAMPLE_HSA_IDS
    assert set(CareProvider.objects.values_list("hsa_id", flat=True)) == {
        "SE2321000016-0001",
        "SE5599999998-0001",
    }
    unit = Unit.objects.select_related("provider", "region").get(hsa_id="SE2321000016-9102")
    assert unit.name == "Hudmottagningen Exempelsjukhuset"
    assert unit.provider.name == "Region Stockholm"
    assert unit.provider.organisation_number == "2321000016"
    assert unit.region == region
    assert unit.care_type == "specialist"
    assert unit.status == UnitStatus.LISTED
    assert (unit.street_address, unit.postal_code, unit.city) == (
        "Exempelsjukhusets väg 2",
        "141 11",
        "Huddinge",
    )
    assert unit.municipality_code == "0126"
    assert (unit.latitude, unit.longitude) == (Decimal("59.22"), Decimal("17.94"))
    assert unit.opening_hours == "Måndag–torsdag 08.00–16.00\nFredag 08.00–12.00"  # a quoted newline
    services = UnitEService.objects.filter(unit__hsa_id="SE2321000016-9101")
    assert {(s.service, s.active) for s in services} == {
        ("cases", True),
        ("booking", True),
        ("prescriptions", True),
    }
    bare = Unit.objects.get(hsa_id="SE5599999998-9105")
    assert (bare.latitude, bare.longitude, bare.phone, bare.street_address) == (None, None, "", "")
    assert not bare.eservices.exists()


def test_json_sample_describes_the_same_units_as_the_csv_sample(region: Region) -> None:
    out, _ = run(SAMPLES / "sample-units.json")
    assert out.strip() == "created 5, updated 0, unchanged 0, rejected 0"
    after_json = snapshot()

    out, _ = run(SAMPLES / "sample-units.csv")

    assert out.strip() == "created 0, updated 0, unchanged 5, rejected 0"
    assert snapshot() == after_json


@pytest.mark.parametrize("sample", ["sample-units.csv", "sample-units.json"])
def test_importing_the_same_file_again_changes_nothing(region: Region, sample: str) -> None:
    run(SAMPLES / sample)
    before = snapshot()

    out, err = run(SAMPLES / sample)

    assert out.strip() == "created 0, updated 0, unchanged 5, rejected 0"
    assert err == ""
    assert snapshot() == before


def test_format_option_overrides_the_extension(region: Region, tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    path.write_text(json.dumps([unit_row()]), encoding="utf-8")

    with pytest.raises(CommandError, match="cannot tell the format"):
        run(path)
    out, _ = run(path, "--format", "json")

    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 0"


def test_csv_with_byte_order_mark_and_only_the_required_columns(region: Region, tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        "hsa_id,name,provider_hsa_id,provider_name,provider_org_number,region_code,care_type,municipality_code\n"
        "se2321000016-8001,Provmottagningen,SE2321000016-0001,Region Stockholm,2321000016,01,other,0180\n",
        encoding="utf-8-sig",
    )

    out, _ = run(path)

    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 0"
    unit = Unit.objects.get()
    assert unit.hsa_id == "SE2321000016-8001"  # normalized to upper case
    assert unit.city == ""


# Updates


def test_update_changes_fields_and_keeps_status_description_and_service_area(
    region: Region, tmp_path: Path
) -> None:
    run(write_json(tmp_path, [unit_row(eservices=["cases", "booking"])]))
    Unit.objects.update(
        status=UnitStatus.ACTIVE, description="Vår egen text", service_area_municipalities=["0180"]
    )

    out, _ = run(
        write_json(tmp_path, [unit_row(name="Vårdcentral Provrör Nord", phone="08-1", eservices=["cases"])])
    )

    assert out.strip() == "created 0, updated 1, unchanged 0, rejected 0"
    unit = Unit.objects.get()
    assert (unit.name, unit.phone) == ("Vårdcentral Provrör Nord", "08-1")
    assert unit.status == UnitStatus.ACTIVE
    assert unit.description == "Vår egen text"
    assert unit.service_area_municipalities == ["0180"]
    assert unit.active_eservices() == ["cases"]
    assert set(unit.eservices.values_list("service", "active")) == {("cases", True), ("booking", False)}


def test_an_inactive_unit_stays_inactive(region: Region, tmp_path: Path) -> None:
    run(write_json(tmp_path, [unit_row()]))
    Unit.objects.update(status=UnitStatus.INACTIVE)

    run(write_json(tmp_path, [unit_row(name="Nytt namn")]))

    assert Unit.objects.get().status == UnitStatus.INACTIVE


def test_an_e_service_listed_again_becomes_active_again(region: Region, tmp_path: Path) -> None:
    run(write_json(tmp_path, [unit_row(eservices=["cases", "booking"])]))
    run(write_json(tmp_path, [unit_row(eservices=["cases"])]))

    out, _ = run(write_json(tmp_path, [unit_row(eservices=["cases", "booking"])]))

    assert out.strip() == "created 0, updated 1, unchanged 0, rejected 0"
    assert set(UnitEService.objects.values_list("service", "active")) == {("cases", True), ("booking", True)}


def test_provider_is_updated_by_its_hsa_id(region: Region, tmp_path: Path) -> None:
    run(write_json(tmp_path, [unit_row()]))

    out, _ = run(write_json(tmp_path, [unit_row(provider_name="Region Stockholm, Hälso- och sjukvård")]))

    assert out.strip() == "created 0, updated 1, unchanged 0, rejected 0"
    assert CareProvider.objects.get().name == "Region Stockholm, Hälso- och sjukvård"


def test_unit_moves_to_another_provider(region: Region, tmp_path: Path) -> None:
    run(write_json(tmp_path, [unit_row()]))
    other = {
        "provider_hsa_id": "SE5599999998-0001",
        "provider_name": "Provbolaget AB",
        "provider_org_number": "5599999998",
    }

    out, _ = run(write_json(tmp_path, [unit_row(**other)]))

    assert out.strip() == "created 0, updated 1, unchanged 0, rejected 0"
    assert Unit.objects.get().provider.hsa_id == "SE5599999998-0001"
    assert CareProvider.objects.count() == 2


# Rejected rows


def one_rejection(region: Region, tmp_path: Path, **changes: Any) -> str:
    """Import a valid row and one with ``changes``; return what was said about the rejected one."""
    path = write_json(tmp_path, [unit_row(hsa_id="SE2321000016-8000"), unit_row(**changes)])
    out, err = run(path)
    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 1"
    assert list(Unit.objects.values_list("hsa_id", flat=True)) == ["SE2321000016-8000"]
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("row 2")
    return lines[0]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"hsa_id": None}, "missing hsa_id"),
        ({"name": "  "}, "missing name"),
        ({"provider_hsa_id": None, "provider_name": None}, "missing provider_hsa_id, provider_name"),
        ({"provider_org_number": None}, "missing provider_org_number"),
        ({"region_code": None}, "missing region_code"),
        ({"care_type": ""}, "missing care_type"),
        ({"municipality_code": None}, "missing municipality_code"),
        ({"hsa_id": "SE232100001-8001"}, "hsa_id 'SE232100001-8001' is not a valid HSA-id"),
        (
            {"hsa_id": "SE2321000016-" + "9" * 19},
            "hsa_id 'SE2321000016-9999999999999999999' is not a valid HSA-id",
        ),
        ({"provider_hsa_id": "2321000016-0001"}, "provider_hsa_id '2321000016-0001' is not a valid HSA-id"),
        ({"provider_org_number": "232100-0016"}, "provider_org_number '232100-0016' is not ten digits"),
        ({"region_code": "02"}, "region_code '02' names no region in the directory"),
        ({"care_type": "surgery"}, "care_type 'surgery' is not one of primary_care, specialist"),
        ({"municipality_code": "180"}, "municipality_code '180' is not four digits"),
        ({"municipality_code": "01800"}, "municipality_code '01800' is not four digits"),
        ({"municipality_code": "０１８０"}, "municipality_code '０１８０' is not four digits"),
        ({"municipality_code": "1280"}, "municipality_code 1280 is not in region 01"),
        ({"municipality_code": 180}, "municipality_code is not text"),
        ({"latitude": "54.9"}, "latitude 54.9 is outside Sweden"),
        ({"latitude": "69.6"}, "latitude 69.6 is outside Sweden"),
        ({"longitude": "10.4"}, "longitude 10.4 is outside Sweden"),
        ({"longitude": "24.6"}, "longitude 24.6 is outside Sweden"),
        ({"latitude": "59,33"}, "latitude '59,33' is not a number"),
        ({"latitude": "NaN"}, "latitude NaN is outside Sweden"),
        ({"latitude": True}, "latitude True is not a number"),
        ({"longitude": None}, "latitude and longitude go together"),
        ({"eservices": ["cases", "video"]}, "unknown e-service codes 'video'"),
        ({"eservices": "cases"}, "eservices is not a list of e-service codes"),
        ({"name": "V" * 201}, "name is longer than 200 characters"),
        ({"provider_name": "V" * 201}, "provider_name is longer than 200 characters"),
        ({"postal_code": "111 222"}, "postal_code is longer than 6 characters"),
        ({"city": "S" * 101}, "city is longer than 100 characters"),
        ({"phone": "0" * 31}, "phone is longer than 30 characters"),
        ({"street_address": "S" * 201}, "street_address is longer than 200 characters"),
        ({"opening_hour": "Alltid"}, "unknown keys opening_hour"),
    ],
)
def test_rejected_row_is_reported_and_the_rest_imported(
    region: Region, tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    line = one_rejection(region, tmp_path, **changes)
    assert reason in line


def test_rejection_names_row_and_hsa_id_and_every_problem(region: Region, tmp_path: Path) -> None:
    line = one_rejection(region, tmp_path, hsa_id="SE2321000016-8009", care_type="x", municipality_code="18")
    assert line.startswith("row 2 (SE2321000016-8009) rejected: ")
    assert "care_type 'x'" in line
    assert "municipality_code '18'" in line


def test_a_unit_named_twice_in_one_file_is_taken_once(region: Region, tmp_path: Path) -> None:
    path = write_json(tmp_path, [unit_row(), unit_row(name="Annat namn")])

    out, err = run(path)

    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 1"
    assert "row 2 (SE2321000016-8001) rejected: hsa_id SE2321000016-8001 is already in row 1" in err
    assert Unit.objects.get().name == "Vårdcentral Provrör"


def test_a_provider_described_two_ways_in_one_file_is_rejected(region: Region, tmp_path: Path) -> None:
    path = write_json(tmp_path, [unit_row(), unit_row(hsa_id="SE2321000016-8002", provider_name="Annan")])

    out, err = run(path)

    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 1"
    assert "provider SE2321000016-0001 is described otherwise in row 1" in err
    assert CareProvider.objects.get().name == "Region Stockholm"


def test_csv_row_with_the_wrong_number_of_fields(region: Region, tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    good = "SE2321000016-8001,Bra,SE2321000016-0001,Region Stockholm,2321000016,01,other,,,,0180,,,,,"
    path.write_text(
        f"{HEADER}\n{good}\nSE2321000016-8002,Kort rad\n\n{good.replace('8001', '8003')}\n", encoding="utf-8"
    )

    out, err = run(path)

    assert out.strip() == "created 2, updated 0, unchanged 0, rejected 1"
    assert err.strip() == "row 3 (SE2321000016-8002) rejected: the row has 2 fields, the header 16"
    assert set(Unit.objects.values_list("hsa_id", flat=True)) == {"SE2321000016-8001", "SE2321000016-8003"}


def test_csv_row_numbers_are_lines_of_the_file(region: Region, tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    multiline = 'SE2321000016-8001,A,SE2321000016-0001,R,2321000016,01,other,,,,0180,,,,"rad ett\nrad två",'
    bad = "SE2321000016-8002,B,SE2321000016-0001,R,2321000016,01,other,,,,180,,,,,"
    path.write_text(f"{HEADER}\n{multiline}\n{bad}\n", encoding="utf-8")

    _, err = run(path)

    assert err.startswith("row 4 (SE2321000016-8002) rejected: municipality_code '180'")


def test_a_row_the_database_refuses_leaves_nothing_behind(
    region: Region, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second row's provider is written before its unit; the unit then fails. The savepoint must
    # take the provider back with it.
    real_create = UnitEService.objects.create

    def create(**kwargs: Any) -> UnitEService:
        if kwargs["unit"].hsa_id == "SE5599999998-8002":
            raise IntegrityError("simulated")
        return real_create(**kwargs)

    monkeypatch.setattr(UnitEService.objects, "create", create)
    other = {
        "provider_hsa_id": "SE5599999998-0001",
        "provider_name": "Provbolaget AB",
        "provider_org_number": "5599999998",
    }
    rows = [unit_row(), unit_row(hsa_id="SE5599999998-8002", **other), unit_row(hsa_id="SE2321000016-8003")]

    out, err = run(write_json(tmp_path, rows))

    assert out.strip() == "created 2, updated 0, unchanged 0, rejected 1"
    assert "row 2 (SE5599999998-8002) rejected: the database refused the row: simulated" in err
    assert set(Unit.objects.values_list("hsa_id", flat=True)) == {"SE2321000016-8001", "SE2321000016-8003"}
    assert list(CareProvider.objects.values_list("hsa_id", flat=True)) == ["SE2321000016-0001"]


# Broken files


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("feed.csv", b"", "the file is empty"),
        ("feed.json", b"  \n", "the file is empty"),
        ("feed.csv", HEADER.encode() + b"\n", "the file holds no units"),
        ("feed.json", b"[]", "the file holds no units"),
        (
            "feed.csv",
            "hsa_id,namn\nSE2321000016-8001,Å\n".encode(),
            "the header lacks the required columns name, provider_hsa_id",
        ),
        ("feed.csv", (HEADER + ",fax\n").encode(), "the header has unknown columns fax"),
        ("feed.csv", (HEADER + ",city\n").encode(), "the header repeats the columns city"),
        ("feed.csv", HEADER.encode() + b"\nSE2321000016-8001,V\xe5rdcentral\n", "not UTF-8 text (byte 202"),
        (
            "feed.csv",
            HEADER.encode() + b'\nSE2321000016-8001,"A\n',
            "not valid CSV at line 2: unexpected end of data",
        ),
        (
            "feed.csv",
            HEADER.encode() + b'\nSE2321000016-8001,"A"B\n',
            "not valid CSV at line 2: ',' expected",
        ),
        (
            "feed.csv",
            HEADER.encode() + b"\n" + b"x" * 200_000 + b"\n",
            "not valid CSV at line 2: field larger",
        ),
        ("feed.json", b'[{"hsa_id": "SE2321000016-8001",', "not valid JSON"),
        (
            "feed.json",
            b'[{"hsa_id": "SE2321000016-8001", "latitude": NaN}]',
            "not valid JSON: NaN is not a number",
        ),
        ("feed.json", b'{"hsa_id": "SE2321000016-8001"}', "the JSON is not a list of units"),
        (
            "feed.json",
            b'[{"hsa_id": "SE2321000016-8001"}, "SE2321000016-8002"]',
            "item 2 of the JSON list is not an object",
        ),
    ],
)
def test_broken_file_is_refused_and_nothing_written(
    region: Region, tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    run(SAMPLES / "sample-units.csv")
    before = snapshot()
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CommandError) as refused:
        run(path)

    assert problem in str(refused.value)
    assert str(refused.value).startswith(str(path))
    assert "nothing was imported" in str(refused.value)
    assert snapshot() == before


def test_unreadable_file_is_refused(region: Region, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read the file"):
        run(tmp_path / "finns-inte.csv")
    with pytest.raises(CommandError, match="cannot read the file"):
        run(tmp_path, "--format", "csv")  # a directory
    assert not Unit.objects.exists()


def test_broken_json_leaves_valid_rows_before_it_unwritten(region: Region, tmp_path: Path) -> None:
    text = json.dumps([unit_row(), unit_row(hsa_id="SE2321000016-8002")])
    path = tmp_path / "feed.json"
    path.write_text(text[:-1] + ", 17]", encoding="utf-8")

    with pytest.raises(CommandError, match="item 3 of the JSON list is not an object"):
        run(path)

    assert not Unit.objects.exists()
    assert not CareProvider.objects.exists()
