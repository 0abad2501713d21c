"""Hitta vård: the public unit search, as ``search_units`` and as the page."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from vardkontakt.conftest import Demo
from vardkontakt.directory.models import EService, Unit, UnitEService, UnitStatus
from vardkontakt.directory.search import PAGE_SIZE, UnitQuery, search_units


def names(query: UnitQuery) -> list[str]:
    return [unit.name for unit in search_units(query)]


def page(client: Client, **params: str) -> str:
    response = client.get(reverse("directory:search"), params)
    assert response.status_code == 200
    return response.content.decode()


def result_names(body: str) -> list[str]:
    return re.findall(
        r'<h3 class="govuk-heading-s[^"]*"><a class="govuk-link" href="[^"]+">([^<]+)</a></h3>', body
    )


# search_units


def test_every_word_must_match_the_name_or_the_city(demo: Demo) -> None:
    assert names(UnitQuery(text="vårdcentral solna")) == ["Vårdcentral Solna"]
    assert names(UnitQuery(text="Solna")) == [
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
        "Vårdcentral Solna",
    ]
    assert names(UnitQuery(text="danderyd")) == ["Ortopedmottagningen Danderyds sjukhus"]
    assert names(UnitQuery(text="tandvården solna")) == []


def test_municipality_filter(demo: Demo) -> None:
    assert names(UnitQuery(municipality="0184")) == [
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
        "Vårdcentral Solna",
    ]
    assert names(UnitQuery(text="vårdcentral", municipality="0180")) == ["Vårdcentral Södermalm"]
    assert names(UnitQuery(municipality="2480")) == []


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
    assert "Vårdcentral Södermalm" not in names(UnitQuery())


@pytest.mark.parametrize("code", ["180", "01801", "01a0", "０１８０", "0180 1"])
def test_a_malformed_municipality_code_is_no_query(code: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery(municipality=code)
    assert invalid.value.message_dict == {
        "municipality": ["Kommunkoden ska vara fyra siffror, till exempel 0180."]
    }


def test_an_unknown_e_service_is_no_query() -> None:
    with pytest.raises(ValidationError) as invalid:
        UnitQuery(eservice="video")
    assert invalid.value.message_dict == {"eservice": ["Välj en e-tjänst i listan."]}


def test_input_is_trimmed() -> None:
    assert UnitQuery.from_input("  solna  ", " 0184 ", " cases ") == UnitQuery("solna", "0184", "cases")
    assert UnitQuery.from_input("x" * 500, "", "").text == "x" * 100


# The page


def test_page_without_a_search_shows_the_form_only(demo: Demo, client: Client) -> None:
    body = page(client)
    assert "<h1" in body
    assert 'id="results"' not in body
    assert "govuk-error-summary" not in body


def test_results_show_city_and_active_e_services(demo: Demo, client: Client) -> None:
    UnitEService.objects.filter(unit=demo.unit("solna"), service=EService.JOURNAL).update(active=False)

    body = page(client, q="solna")

    assert "3 mottagningar" in body
    assert result_names(body) == [
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
        "Vårdcentral Solna",
    ]
    solna = body[body.index(">Vårdcentral Solna<") :]
    solna = solna[: solna.index("</li>")]
    assert '<p class="govuk-body govuk-!-margin-bottom-1">Solna</p>' in solna
    assert "E-tjänster: Ärenden och meddelanden, Boka, av- och omboka tid, Förnya recept</p>" in solna
    vaccination = body[body.index(">Vaccinationsmottagning Solna<") : body.index(">Vårdcentral Solna<")]
    assert "Inga e-tjänster i Vårdkontakt" in vaccination  # LISTED: not connected yet


def test_page_filters_by_municipality_and_e_service(demo: Demo, client: Client) -> None:
    assert result_names(page(client, kommun="0160")) == ["Barnavårdscentralen Täby"]
    assert result_names(page(client, kommun="0184", etjanst="rheumatology")) == [
        "Reumatologmottagningen Solna"
    ]
    body = page(client, etjanst="interpreter")
    assert result_names(body) == ["Tolkcentralen Stockholm"]
    assert '<option value="interpreter" selected>' in body


def test_page_says_when_nothing_matched(demo: Demo, client: Client) -> None:
    body = page(client, q="Kiruna")
    assert "0 mottagningar" in body
    assert "Inga mottagningar matchade sökningen." in body


def test_page_says_when_it_shows_only_the_first_results(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    Unit.objects.bulk_create(
        Unit(
            hsa_id=f"SE2321000016-80{n:02}",
            name=f"Provmottagning {n:02}",
            provider=solna.provider,
            region=solna.region,
            municipality_code="0180",
        )
        for n in range(PAGE_SIZE + 5)
    )

    body = page(client, q="provmottagning")

    assert f"{PAGE_SIZE + 5} mottagningar" in body
    assert f"Visar de {PAGE_SIZE} första." in body
    assert len(result_names(body)) == PAGE_SIZE


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
    assert 'aria-describedby="kommun-hint kommun-error"' in body
    assert 'class="govuk-input govuk-input--width-4 govuk-input--error" id="kommun"' in body
    assert 'value="180"' in body  # what was typed stays
    assert 'value="vårdcentral"' in body
    assert 'id="results"' not in body


def test_unknown_e_service_shows_the_error(demo: Demo, client: Client) -> None:
    body = page(client, etjanst="video")

    message = "Välj en e-tjänst i listan."
    assert f'<li><a href="#etjanst">{message}</a></li>' in body
    assert 'id="etjanst-error"' in body
    assert 'aria-describedby="etjanst-error"' in body
    assert "govuk-select--error" in body
    assert "kommun-error" not in body
    assert 'id="results"' not in body


def test_form_fields_have_labels(demo: Demo, client: Client) -> None:
    body = page(client)
    for field in ("q", "kommun", "etjanst"):
        assert f'<label class="govuk-label govuk-label--s" for="{field}">' in body
        assert f'id="{field}" name="{field}"' in body
