"""GET /api/v1/units: the search as JSON, through the same ``search_units`` as the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from ninja.renderers import JSONRenderer
from pytest_django import DjangoAssertNumQueries

from vardkontakt.api.routers import api
from vardkontakt.conftest import Demo
from vardkontakt.directory.api import UnitOut
from vardkontakt.directory.models import Agreement, EService, Unit, UnitEService, UnitStatus
from vardkontakt.directory.search import PAGE_SIZE

URL = "/api/v1/units"


def get(client: Client, **params: str) -> list[dict[str, Any]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    data: list[dict[str, Any]] = response.json()
    return data


def test_units_by_name_with_their_active_e_services(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    UnitEService.objects.filter(unit=solna, service=EService.JOURNAL).update(active=False)

    data = get(client, q="solna")

    assert [unit["name"] for unit in data] == [
        "Vårdcentral Solna",
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
    ]
    assert data[0] == {
        "id": str(solna.pk),
        "hsa_id": "SE2321000016-1001",
        "name": "Vårdcentral Solna",
        "city": "Solna",
        "municipality_code": "0184",
        "care_type": "primary_care",
        "eservices": ["cases", "booking", "prescriptions"],
        "distance_km": None,
    }
    assert data[2]["eservices"] == []  # LISTED


@pytest.mark.parametrize(
    "params",
    [
        {"q": "solna"},
        {"q": "vårdcentral", "lat": "59.4439", "lon": "18.0687"},
        {"q": "vårdcental solna"},
        {"eservice": "booking"},
        {"q": "xqzvbnm"},
    ],
)
def test_the_body_is_what_ninja_writes_through_the_schema(
    demo: Demo, client: Client, params: dict[str, str]
) -> None:
    # The view writes its JSON itself; it must be what validating through UnitOut and ninja's renderer
    # would give: the same fields, in the same order, of the same types, in the same bytes.
    response = client.get(URL, params)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    through_schema = [UnitOut.model_validate(row).model_dump() for row in response.json()]
    assert response.content.decode() == JSONRenderer().render(
        response.wsgi_request, through_schema, response_status=200
    )


def test_the_openapi_document_describes_a_list_of_units() -> None:
    operation = api.get_openapi_schema()["paths"]["/api/v1/units"]["get"]

    content = operation["responses"][200]["content"]["application/json"]["schema"]
    assert content == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/UnitOut"},
        "title": "Response",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ranks in Python, in more statements")
def test_a_search_is_one_statement(
    demo: Demo, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        get(client, q="vårdcentral solna", eservice="booking")
    with django_assert_num_queries(1):
        get(client, municipality="0184", care_type="primary_care")
    with django_assert_num_queries(3):  # nothing found, the words' neighbours, the corrected search
        get(client, q="vårdcental solna")


def test_filters(demo: Demo, client: Client) -> None:
    assert [u["name"] for u in get(client, municipality="0160")] == ["Barnavårdscentralen Täby"]
    assert [u["name"] for u in get(client, eservice="complaints")] == ["Patientnämnden Region Stockholm"]
    assert [u["name"] for u in get(client, q="mottagning", municipality="0184", eservice="rheumatology")] == [
        "Reumatologmottagningen Solna"
    ]
    assert [u["name"] for u in get(client, care_type="mammography")] == ["Mammografi City"]


def test_without_filters_lists_the_public_units(demo: Demo, client: Client) -> None:
    Unit.objects.filter(pk=demo.unit("nacka").pk).update(status=UnitStatus.INACTIVE)

    names = {unit["name"] for unit in get(client)}

    assert names == {unit.name for unit in demo.units.values()} - {"Vårdcentral Nacka"}  # nor any agreement


def test_inactive_units_are_not_listed(demo: Demo, client: Client) -> None:
    Unit.objects.filter(pk=demo.unit("solna").pk).update(status=UnitStatus.INACTIVE)
    assert "Vårdcentral Solna" not in [u["name"] for u in get(client, q="solna")]
    assert "Vårdcentral Solna" not in [u["name"] for u in get(client, eservice="journal")]


def test_at_most_one_page(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    created = Unit.objects.bulk_create(
        Unit(
            hsa_id=f"SE2321000016-80{n:02}",
            name=f"Provmottagning {n:02}",
            provider=solna.provider,
            region=solna.region,
            municipality_code="0180",
        )
        for n in range(PAGE_SIZE + 1)
    )
    Agreement.objects.bulk_create(Agreement(unit=u, valid_from="2026-01-01", reference="RS") for u in created)
    assert len(get(client, q="provmottagning")) == PAGE_SIZE


def test_typos_are_forgiven(demo: Demo, client: Client) -> None:
    assert get(client, q="vårdcental solna")[0]["name"] == "Vårdcentral Solna"


def test_sorted_by_distance_from_coordinates_or_a_place(demo: Demo, client: Client) -> None:
    near_taby = get(client, q="vårdcentral", lat="59.4439", lon="18.0687")
    assert [(u["name"], u["distance_km"]) for u in near_taby] == [
        ("Vårdcentral Solna", 10.08),
        ("Vårdcentral Södermalm", 14.53),
    ]
    by_place = get(client, care_type="primary_care", place="stockholm")
    assert [u["name"] for u in by_place] == [
        "Vårdcentral Södermalm",
        "Vårdcentral Solna",
        "Barnavårdscentralen Täby",
    ]


def test_a_town_is_a_place_too(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    kista = Unit.objects.create(
        hsa_id="SE2321000016-8201",
        name="Husläkarmottagningen Kista",
        provider=solna.provider,
        region=solna.region,
        municipality_code="0180",
        city="Kista",
        latitude="59.40316",
        longitude="17.94479",
    )
    Agreement.objects.create(unit=kista, valid_from="2026-01-01", reference="RS 8201")

    data = get(client, q="mottagning", place="KISTA")

    assert (data[0]["name"], data[0]["distance_km"]) == ("Husläkarmottagningen Kista", 0.0)


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"municipality": "180"}, "municipality", "Kommunkoden ska vara fyra siffror, till exempel 0180."),
        ({"municipality": "01801"}, "municipality", "Kommunkoden ska vara fyra siffror, till exempel 0180."),
        ({"eservice": "video"}, "eservice", "Välj en e-tjänst i listan."),
        ({"care_type": "spa"}, "care_type", "Välj en typ av vård i listan."),
        ({"sort": "popular"}, "sort", "Välj hur träffarna ska sorteras."),
        ({"sort": "distance"}, "place", "Skriv en kommun eller ort att räkna avståndet från."),
        (
            {"place": "Malmö"},
            "place",
            "Det finns ingen kommun eller ort med det namnet i regionen. Skriv till exempel Solna eller Täby.",
        ),
    ],
)
def test_an_invalid_filter_is_refused(
    demo: Demo, client: Client, params: dict[str, str], parameter: str, message: str
) -> None:
    response = client.get(URL, params)

    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"type": "value_error", "loc": ["query", parameter], "msg": message}]
    }


def test_bad_coordinates_name_both_parameters(demo: Demo, client: Client) -> None:
    response = client.get(URL, {"lat": "59.3"})

    assert response.status_code == 422
    message = "Ange latitud och longitud i Sverige som decimaltal, till exempel 59.33 och 18.06."
    assert response.json()["detail"] == [
        {"type": "value_error", "loc": ["query", "lat"], "msg": message},
        {"type": "value_error", "loc": ["query", "lon"], "msg": message},
    ]


def test_both_invalid_filters_are_named(demo: Demo, client: Client) -> None:
    response = client.get(URL, {"municipality": "x", "eservice": "y"})

    assert response.status_code == 422
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {
        ("query", "municipality"),
        ("query", "eservice"),
    }
