"""Hitta vård: the public unit search, as ``search_units`` and as the page."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from vardkontakt.conftest import Demo
from vardkontakt.directory.models import Agreement, CareType, EService, Unit, UnitEService, UnitStatus
from vardkontakt.directory.search import PAGE_SIZE, Place, UnitQuery, public_units, search_units
from vardkontakt.directory.views import _rows


def names(query: UnitQuery) -> list[str]:
    return [hit.name for hit in search_units(query).hits]


def page(client: Client, **params: str) -> str:
    response = client.get(reverse("directory:search"), params)
    assert response.status_code == 200
    return response.content.decode()


def result_names(body: str) -> list[str]:
    return re.findall(
        r'<h3 class="govuk-heading-s[^"]*"><a class="govuk-link" href="[^"]+">([^<]+)</a></h3>', body
    )


# Who is in "Hitta vård"


def test_public_units_have_an_agreement_in_force_and_are_not_inactive(demo: Demo) -> None:
    everyone = {unit.name for unit in demo.units.values()}
    assert {unit.name for unit in public_units()} == everyone - {"Vårdcentral Nacka"}  # no agreement

    Agreement.objects.filter(unit=demo.unit("solna")).update(valid_to="2026-01-31")  # ended
    Agreement.objects.filter(unit=demo.unit("tolk")).update(valid_from="2099-01-01")  # not yet
    Unit.objects.filter(pk=demo.unit("sodermalm").pk).update(status=UnitStatus.INACTIVE)
    Agreement.objects.create(unit=demo.unit("nacka"), valid_from="2026-01-01", reference="RS 2026-7002")

    assert {unit.name for unit in public_units()} == everyone - {
        "Vårdcentral Solna",
        "Tolkcentralen Stockholm",
        "Vårdcentral Södermalm",
    }


def test_a_listed_unit_with_an_agreement_is_found_without_e_services(demo: Demo) -> None:
    assert names(UnitQuery(text="vaccination")) == ["Vaccinationsmottagning Solna"]  # LISTED


# search_units


def test_every_word_must_match_the_name_or_the_city(demo: Demo) -> None:
    assert names(UnitQuery(text="vårdcentral solna")) == ["Vårdcentral Solna"]
    assert names(UnitQuery(text="Solna")) == [
        "Vårdcentral Solna",
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
    ]
    assert names(UnitQuery(text="danderyd")) == ["Ortopedmottagningen Danderyds sjukhus"]
    assert names(UnitQuery(text="tandvården solna")) == []  # both words exist, not together


def test_without_text_units_come_by_name(demo: Demo) -> None:
    assert names(UnitQuery(municipality="0184")) == [
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
        "Vårdcentral Solna",
    ]


def test_municipality_filter(demo: Demo) -> None:
    assert names(UnitQuery(text="vårdcentral", municipality="0180")) == ["Vårdcentral Södermalm"]
    assert names(UnitQuery(municipality="2480")) == []


def test_care_type_filter(demo: Demo) -> None:
    assert names(UnitQuery(care_type=CareType.SPECIALIST)) == [
        "Ortopedmottagningen Danderyds sjukhus",
        "Reumatologmottagningen Solna",
    ]
    assert names(UnitQuery(care_type=CareType.DENTAL, municipality="0184")) == []


def test_e_service_filter_finds_active_units_with_the_service_active(demo: Demo) -> None:
    assert names(UnitQuery(eservice=EService.RHEUMATOLOGY)) == ["Reumatologmottagningen Solna"]
    assert "Vårdcentral Solna" in names(UnitQuery(eservice=EService.BOOKING))

    UnitEService.objects.filter(unit=demo.unit("solna"), service=EService.BOOKING).update(active=False)
    UnitEService.objects.create(unit=demo.unit("vaccination"), service=EService.BOOKING)  # a LISTED unit

    booking = names(UnitQuery(eservice=EService.BOOKING))
    assert "Vårdcentral Solna" not in booking
    assert "Vaccinationsmottagning Solna" not in booking
    assert "Vårdcentral Södermalm" in booking


def test_inactive_units_are_never_found(demo: Demo) -> None:
    Unit.objects.filter(pk=demo.unit("sodermalm").pk).update(status=UnitStatus.INACTIVE)

    assert names(UnitQuery(text="Södermalm")) == []
    assert "Vårdcentral Södermalm" not in names(UnitQuery(municipality="0180"))
    assert "Vårdcentral Södermalm" not in names(UnitQuery(eservice=EService.CASES))
    assert "Vårdcentral Södermalm" not in names(UnitQuery(sort="relevance"))


def test_the_result_counts_all_matches_and_holds_one_page(demo: Demo) -> None:
    solna = demo.unit("solna")
    created = Unit.objects.bulk_create(
        Unit(
            hsa_id=f"SE2321000016-80{n:02}",
            name=f"Provmottagning {n:02}",
            provider=solna.provider,
            region=solna.region,
            municipality_code="0180",
        )
        for n in range(PAGE_SIZE + 5)
    )
    Agreement.objects.bulk_create(Agreement(unit=u, valid_from="2026-01-01", reference="RS") for u in created)

    result = search_units(UnitQuery(text="provmottagning"))

    assert result.total == PAGE_SIZE + 5
    assert [hit.name for hit in result.hits] == [f"Provmottagning {n:02}" for n in range(PAGE_SIZE)]


# Validation


@pytest.mark.parametrize("code", ["180", "01801", "01a0", "０１８０", "0180 1"])
def test_a_malformed_municipality_code_is_no_query(code: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery(municipality=code)
    assert invalid.value.message_dict == {
        "municipality": ["Kommunkoden ska vara fyra siffror, till exempel 0180."]
    }


def test_an_unknown_e_service_care_type_or_sort_is_no_query() -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery(eservice="video", care_type="spa", sort="popular")
    assert invalid.value.message_dict == {
        "eservice": ["Välj en e-tjänst i listan."],
        "care_type": ["Välj en typ av vård i listan."],
        "sort": ["Välj hur träffarna ska sorteras."],
    }


def test_sorting_by_distance_needs_a_place() -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery.from_input(sort="distance")
    assert invalid.value.message_dict == {"place": ["Skriv en kommun eller ort att räkna avståndet från."]}


def test_an_unknown_place_is_named_with_the_other_problems(demo: Demo) -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery.from_input(place="Kiruna", municipality="1", sort="distance")
    assert invalid.value.message_dict == {
        "place": [
            "Det finns ingen kommun eller ort med det namnet i regionen. Skriv till exempel Solna eller Täby."
        ],
        "municipality": ["Kommunkoden ska vara fyra siffror, till exempel 0180."],
    }


def test_a_place_is_a_municipality_or_a_town(demo: Demo) -> None:
    taby = UnitQuery.from_input(place="täby")
    assert taby.origin == Place("Täby", 59.4439, 18.0687)  # the central town, from municipalities.csv
    assert taby.sort == "distance"  # a place sorts by distance unless told otherwise
    assert UnitQuery.from_input(place="TABY").origin == taby.origin  # typed without dots
    assert UnitQuery.from_input(place="  upplands-bro ", sort="relevance").sort == "relevance"
    danderyd = UnitQuery.from_input(place="Danderyd").origin
    assert danderyd is not None and danderyd.name == "Danderyd"


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("59.3", ""), ("", "18.0"), ("norr", "18.0"), ("40.7", "-74.0"), ("nan", "inf")],
)
def test_coordinates_must_be_a_place_in_sweden(latitude: str, longitude: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery.from_input(latitude=latitude, longitude=longitude)
    assert list(invalid.value.message_dict) == ["coordinates"]


def test_input_is_trimmed() -> None:
    assert UnitQuery.from_input("  solna  ", " 0184 ", " primary_care ", " cases ") == UnitQuery(
        "solna", "0184", "primary_care", "cases"
    )
    assert UnitQuery.from_input("x" * 500).text == "x" * 100


# The page


def test_page_without_a_search_shows_the_form_only(demo: Demo, client: Client) -> None:
    body = page(client)
    assert "<h1" in body
    assert 'id="resultat"' not in body
    assert "govuk-error-summary" not in body
    assert body.count('<option value="01') == 26  # the region's municipalities


def test_results_show_city_and_active_e_services(demo: Demo, client: Client) -> None:
    UnitEService.objects.filter(unit=demo.unit("solna"), service=EService.JOURNAL).update(active=False)

    body = page(client, q="solna")

    assert "3 mottagningar" in body
    assert result_names(body) == [
        "Vårdcentral Solna",
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
    ]
    solna = body[body.index(">Vårdcentral Solna<") :]
    solna = solna[: solna.index("</li>")]
    assert '<p class="govuk-body govuk-!-margin-bottom-1">Solna</p>' in solna
    assert "E-tjänster: Ärenden och meddelanden, Boka, av- och omboka tid, Förnya recept</p>" in solna
    vaccination = body[body.index(">Vaccinationsmottagning Solna<") :]
    assert "Inga e-tjänster i Vårdkontakt" in vaccination[: vaccination.index("</li>")]  # LISTED


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_are_what_the_template_tags_they_replace_write(demo: Demo, language: str) -> None:
    UnitEService.objects.filter(unit=demo.unit("solna"), service=EService.JOURNAL).update(active=False)
    hits = search_units(UnitQuery(text="solna")).hits
    tags = engines["django"].from_string(
        "{% load i18n %}{% for hit in hits %}{% url 'directory:unit' hit.id %}|{% if hit.eservices %}"
        '{% translate "E-tjänster:" %} {% for service in hit.eservices %}{{ service.label }}'
        "{% if not forloop.last %}, {% endif %}{% endfor %}"
        '{% else %}{% translate "Inga e-tjänster i Vårdkontakt" %}{% endif %};{% endfor %}'
    )
    rows = engines["django"].from_string(
        "{% for href, name, city, distance, services in rows %}{{ href }}|{{ services }};{% endfor %}"
    )

    with translation.override(language):
        assert rows.render({"rows": _rows(hits)}) == tags.render({"hits": hits})
    assert len(hits) == 3


def test_page_filters_by_municipality_care_type_and_e_service(demo: Demo, client: Client) -> None:
    assert result_names(page(client, kommun="0160")) == ["Barnavårdscentralen Täby"]
    assert result_names(page(client, kommun="0184", etjanst="rheumatology")) == [
        "Reumatologmottagningen Solna"
    ]
    body = page(client, typ="dental")
    assert result_names(body) == ["Folktandvården Sankt Eriksplan"]
    assert '<option value="dental" selected>' in body
    body = page(client, etjanst="interpreter", kommun="0180")
    assert result_names(body) == ["Tolkcentralen Stockholm"]
    assert '<option value="interpreter" selected>' in body
    assert '<option value="0180" selected>Stockholm</option>' in body


def test_page_sorts_by_distance_from_a_place(demo: Demo, client: Client) -> None:
    body = page(client, q="vårdcentral", plats="täby")

    assert result_names(body) == ["Vårdcentral Solna", "Vårdcentral Södermalm"]  # Solna is nearer Täby
    assert "Avstånd från Täby, fågelvägen." in body
    assert "Solna · 10,1 km</p>" in body  # 111.2 km per degree, equirectangular
    assert "Stockholm · 14,5 km</p>" in body
    assert 'id="sortering-avstand" name="sortering" type="radio" value="distance" checked' in body


def test_page_tells_when_it_corrected_a_typo(demo: Demo, client: Client) -> None:
    body = page(client, q="vårdcental solna")

    assert result_names(body)[0] == "Vårdcentral Solna"
    assert "Inget matchade ”vårdcental solna”. Visar träffar för liknande ord: ”vårdcentral solna”." in body


def test_page_says_when_nothing_matched(demo: Demo, client: Client) -> None:
    body = page(client, q="Kiruna")
    assert "0 mottagningar" in body
    assert "Inga mottagningar matchade sökningen." in body


def test_page_says_when_it_shows_only_the_first_results(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    created = Unit.objects.bulk_create(
        Unit(
            hsa_id=f"SE2321000016-80{n:02}",
            name=f"Provmottagning {n:02}",
            provider=solna.provider,
            region=solna.region,
            municipality_code="0180",
        )
        for n in range(PAGE_SIZE + 5)
    )
    Agreement.objects.bulk_create(Agreement(unit=u, valid_from="2026-01-01", reference="RS") for u in created)

    body = page(client, q="provmottagning")

    assert f"{PAGE_SIZE + 5} mottagningar" in body
    assert f"Visar de {PAGE_SIZE} första." in body
    assert len(result_names(body)) == PAGE_SIZE


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ranks in Python, in more statements")
def test_the_page_searches_in_one_statement(
    demo: Demo, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):  # matches, filters, rank, count and e-services together
        body = page(client, q="solna", etjanst="booking", plats="täby")
    assert result_names(body) == ["Vårdcentral Solna"]


def test_headings_run_in_order(demo: Demo, client: Client) -> None:
    levels = [int(level) for level in re.findall(r"<h([1-6])", page(client, q="solna"))]
    assert levels[0] == 1
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels))


def test_malformed_municipality_shows_the_error_and_searches_nothing(
    demo: Demo, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        body = page(client, q="vårdcentral", kommun="180")

    message = "Kommunkoden ska vara fyra siffror, till exempel 0180."
    assert "<title>Fel: Hitta vård" in body
    assert f'<li><a href="#kommun">{message}</a></li>' in body  # the error summary
    assert (
        f'<p class="govuk-error-message" id="kommun-error"><span class="govuk-visually-hidden">Fel:</span> {message}</p>'
        in body
    )
    assert (
        'class="govuk-select govuk-select--error" id="kommun" name="kommun" aria-describedby="kommun-error"'
        in body
    )
    assert 'value="vårdcentral"' in body  # what was typed stays
    assert 'id="resultat"' not in body


def test_every_problem_is_in_the_summary_in_the_order_of_the_form(demo: Demo, client: Client) -> None:
    body = page(client, typ="spa", etjanst="video", plats="Atlantis", sortering="popular")

    assert re.findall(r'<li><a href="#([a-z]+)">', body) == ["typ", "etjanst", "plats", "sortering"]
    assert 'id="plats-error"' in body
    assert 'aria-describedby="plats-hint plats-error"' in body
    assert 'value="Atlantis"' in body
    assert 'id="resultat"' not in body


def test_sorting_by_distance_without_a_place_is_explained(demo: Demo, client: Client) -> None:
    body = page(client, q="solna", sortering="distance")

    assert '<li><a href="#plats">Skriv en kommun eller ort att räkna avståndet från.</a></li>' in body


def test_form_fields_have_labels(demo: Demo, client: Client) -> None:
    body = page(client)
    for field in ("q", "kommun", "typ", "etjanst", "plats"):
        assert f'class="govuk-label govuk-label--s" for="{field}">' in body
        assert f'id="{field}" name="{field}"' in body
    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Sortera träffarna efter</legend>'
        in body
    )
