"""The contact card (kontaktkort): one unit's public page, and what each person may start there."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from vardkontakt.cases.models import UnitCaseType
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.directory.models import Agreement, EService, ServiceAreaSex, Unit, UnitEService, UnitStatus
from vardkontakt.identity.session import ACTING_FOR_KEY

NO_SERVICES = "Mottagningen har inga e-tjänster i Vårdkontakt. Kontakta mottagningen per telefon."
NOT_YET = "Den här e-tjänsten går ännu inte att använda i Vårdkontakt."
OUTSIDE = (
    "Du kan inte skicka ärenden hit: mottagningen tar bara emot invånare i sitt betjäningsområde (se nedan)."
)
NO_TYPES = "Mottagningen tar inte emot ärenden just nu."
CALL = "Ring mottagningen på 08-123 456 00, eller 1177 för sjukvårdsrådgivning."


def card(client: Client, unit_id: object) -> str:
    response = client.get(reverse("directory:unit", args=[unit_id]))
    assert response.status_code == 200
    return response.content.decode()


def services_listed(body: str) -> str:
    start = body.index(">E-tjänster</h2>")
    return body[start : body.index("</main>", start)]


def offers(body: str) -> dict[str, str]:
    """Each e-service on the card: its label and the markup of its entry."""
    listed = body[body.index('id="e-tjanster"') :]
    listed = listed[: listed.index("</ul>")]
    entries = re.findall(r"<li[^>]*>(.*?)</li>", listed, re.S)
    labels = [
        re.findall(r'govuk-!-margin-bottom-1" id="etjanst-[a-z_]+">([^<]+)</p>', entry)[0]
        for entry in entries
    ]
    return dict(zip(labels, entries, strict=True))


def new_case_url(unit: Unit) -> str:
    return f"/mina-sidor/arenden/nytt/?mottagning={unit.pk}"


# What the card shows


def test_card_shows_the_unit(demo: Demo, client: Client) -> None:
    body = card(client, demo.unit("solna").pk)
    assert '<h1 class="govuk-heading-xl">Vårdcentral Solna</h1>' in body
    assert "Region Stockholm" in body  # the provider
    assert "Vi är en vårdcentral för alla åldrar." in body  # the clinic's own text
    assert "Solnavägen 1<br>171 64 Solna" in body
    assert '<a class="govuk-link" href="tel:0812345600">08-123 456 00</a>' in body
    assert "Måndag–fredag 08.00–17.00<br>Lördag–söndag stängt" in body
    assert "Vårdcentral</dd>" in body  # the type of care


def test_card_gives_the_map_coordinates_as_text_and_links_without_loading_a_map(
    demo: Demo, client: Client
) -> None:
    body = card(client, demo.unit("solna").pk)

    assert "Koordinater (WGS 84): 59.36004, 18.00097" in body
    assert 'href="geo:59.36004,18.00097"' in body
    assert (
        'href="https://www.openstreetmap.org/?mlat=59.36004&amp;mlon=18.00097#map=16/59.36004/18.00097"'
        in body
    )
    assert not re.search(
        r'<(script|img|iframe|link)[^>]+(src|href)="https?://', body
    )  # nothing fetched from elsewhere


def test_a_unit_without_coordinates(demo: Demo, client: Client) -> None:
    Unit.objects.filter(pk=demo.unit("solna").pk).update(latitude=None, longitude=None)
    body = card(client, demo.unit("solna").pk)
    assert "geo:" not in body
    assert "Koordinater" not in body


def test_card_lists_only_the_active_e_services(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    UnitEService.objects.filter(unit=solna, service=EService.JOURNAL).update(active=False)

    listed = offers(card(client, solna.pk))

    assert list(listed) == ["Ärenden och meddelanden", "Boka, av- och omboka tid", "Förnya recept"]


def test_a_listed_unit_offers_no_e_services_yet(demo: Demo, client: Client) -> None:
    vaccination = demo.unit("vaccination")
    UnitEService.objects.create(unit=vaccination, service=EService.BOOKING, active=True)

    listed = services_listed(card(client, vaccination.pk))

    assert "<li" not in listed
    assert NO_SERVICES in listed


def test_an_active_unit_with_no_active_e_services(demo: Demo, client: Client) -> None:
    tolk = demo.unit("tolk")
    UnitEService.objects.filter(unit=tolk).update(active=False)

    assert NO_SERVICES in services_listed(card(client, tolk.pk))


def test_the_service_area_in_words(demo: Demo, client: Client) -> None:
    Unit.objects.filter(pk=demo.unit("solna").pk).update(
        service_area_municipalities=["0184", "0183"],
        service_area_sex=ServiceAreaSex.FEMALE,
        service_area_min_age=18,
        service_area_max_age=64,
    )
    body = card(client, demo.unit("solna").pk)
    area = body[body.index('id="betjaningsomrade"') :]
    assert re.findall(r"<li>([^<]+)</li>", area[: area.index("</ul>")]) == [
        "Invånare i Region Stockholm",
        "Som bor i: Solna, Sundbyberg",
        "Kvinnor",
        "18–64 år",
    ]


# Who may start what: visitor, staff, residents inside and outside the service area


def test_a_visitor_is_asked_to_log_in_for_each_service(demo: Demo, client: Client) -> None:
    body = card(client, demo.unit("solna").pk)

    assert "Logga in med e-legitimation för att använda mottagningens e-tjänster." in body
    listed = offers(body)
    assert len(listed) == 4
    for entry in listed.values():
        service = re.findall(r'id="(etjanst-[a-z_]+)"', entry)[0]
        assert (
            f'<a class="govuk-link" href="/logga-in/" aria-describedby="{service}">Logga in för att använda</a>'
            in entry
        )
        assert "govuk-button" not in entry


def test_staff_are_not_residents_here(demo: Demo, client: Client) -> None:
    log_in_staff(client, demo.member("maria"))
    body = card(client, demo.unit("solna").pk)
    assert all('href="/logga-in/"' in entry for entry in offers(body).values())
    assert new_case_url(demo.unit("solna")) not in body


def test_a_resident_in_the_service_area_gets_a_start_button_for_cases(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    log_in_resident(client, demo.resident("anna"))

    listed = offers(card(client, solna.pk))

    cases = listed["Ärenden och meddelanden"]
    assert f'<a href="{new_case_url(solna)}" role="button"' in cases
    assert 'aria-describedby="etjanst-cases">Starta</a>' in cases
    for label in ("Boka, av- och omboka tid", "Förnya recept", "Journalen"):  # no page in Vårdkontakt yet
        assert NOT_YET in listed[label]
        assert CALL in listed[label]
        assert "govuk-button" not in listed[label]


def test_the_start_button_opens_the_new_case_page_at_that_clinic(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    log_in_resident(client, demo.resident("anna"))

    response = client.get(new_case_url(solna))

    assert response.status_code == 200
    assert "Vårdcentral Solna" in response.content.decode()
    assert "Du kan inte skicka ärenden till den här mottagningen." not in response.content.decode()


def test_a_resident_outside_the_region_is_told_why_and_where_to_turn(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    log_in_resident(client, demo.resident("per"))  # registered in Malmö

    cases = offers(card(client, solna.pk))["Ärenden och meddelanden"]

    assert OUTSIDE in cases
    assert "Vänd dig till en mottagning där du bor, eller ring 1177 för sjukvårdsrådgivning." in cases
    assert '<a class="govuk-link" href="/hitta-vard/?etjanst=cases&amp;kommun=1280#resultat">' in cases
    assert new_case_url(solna) not in cases


@pytest.mark.parametrize(
    "narrowing",
    [
        {"service_area_municipalities": ["0180"]},  # Anna lives in Solna
        {"service_area_sex": ServiceAreaSex.MALE},
        {"service_area_min_age": 65},
        {"service_area_max_age": 30},
    ],
)
def test_a_resident_outside_the_clinics_service_area(
    demo: Demo, client: Client, narrowing: dict[str, object]
) -> None:
    solna = demo.unit("solna")
    Unit.objects.filter(pk=solna.pk).update(**narrowing)
    log_in_resident(client, demo.resident("anna"))

    cases = offers(card(client, solna.pk))["Ärenden och meddelanden"]

    assert OUTSIDE in cases
    assert "kommun=0184" in cases  # clinics where she lives
    assert new_case_url(solna) not in cases


def test_acting_for_a_child_the_childs_admission_counts(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    Unit.objects.filter(pk=solna.pk).update(service_area_min_age=18)
    log_in_resident(client, demo.resident("anna"))
    assert new_case_url(solna) in card(client, solna.pk)

    session = client.session
    session[ACTING_FOR_KEY] = str(demo.resident("elsa").pk)  # 10 years old
    session.save()

    assert OUTSIDE in offers(card(client, solna.pk))["Ärenden och meddelanden"]


def test_a_clinic_with_no_case_types_open_says_so(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    UnitCaseType.objects.filter(unit=solna).update(active=False)
    log_in_resident(client, demo.resident("anna"))

    cases = offers(card(client, solna.pk))["Ärenden och meddelanden"]

    assert NO_TYPES in cases
    assert CALL in cases
    assert "govuk-button" not in cases


# Not on the card


def test_an_inactive_unit_has_no_card(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    Unit.objects.filter(pk=solna.pk).update(status=UnitStatus.INACTIVE)

    response = client.get(reverse("directory:unit", args=[solna.pk]))

    assert response.status_code == 404
    assert "Vårdcentral Solna" not in response.content.decode()


def test_a_unit_without_an_agreement_in_force_has_no_card(demo: Demo, client: Client) -> None:
    assert client.get(reverse("directory:unit", args=[demo.unit("nacka").pk])).status_code == 404
    Agreement.objects.filter(unit=demo.unit("solna")).update(valid_to="2026-01-31")
    assert client.get(reverse("directory:unit", args=[demo.unit("solna").pk])).status_code == 404


@pytest.mark.parametrize("unit_id", ["finns-inte", "12345", str(uuid.uuid4())])
def test_a_malformed_or_unknown_id_is_not_found(demo: Demo, client: Client, unit_id: str) -> None:
    assert client.get(reverse("directory:unit", args=[unit_id])).status_code == 404


def test_headings_run_in_order(demo: Demo, client: Client) -> None:
    body = card(client, demo.unit("solna").pk)
    assert body.index("<h1") < body.index("<h2")
    assert "<h3" not in body
