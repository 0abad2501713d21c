"""The contact card (kontaktkort): one unit's public page."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from vardkontakt.conftest import Demo
from vardkontakt.directory.models import EService, Unit, UnitEService, UnitStatus

NO_SERVICES = "Mottagningen har inga e-tjänster i Vårdkontakt. Kontakta mottagningen per telefon."


def card(client: Client, unit_id: object) -> str:
    response = client.get(reverse("directory:unit", args=[unit_id]))
    assert response.status_code == 200
    return response.content.decode()


def services_listed(body: str) -> str:
    start = body.index(">E-tjänster</h2>")
    return body[start : body.index("</main>", start)]


def test_card_shows_the_unit(demo: Demo, client: Client) -> None:
    body = card(client, demo.unit("solna").pk)
    assert '<h1 class="govuk-heading-xl">Vårdcentral Solna</h1>' in body
    assert "Region Stockholm" in body  # the provider
    assert "Solnavägen 1<br>171 64 Solna" in body
    assert "08-123 456 00" in body
    assert "Måndag–fredag 08.00–17.00<br>Lördag–söndag stängt" in body
    assert "Vårdcentral</dd>" in body  # the type of care


def test_card_lists_only_the_active_e_services(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    UnitEService.objects.filter(unit=solna, service=EService.JOURNAL).update(active=False)

    listed = services_listed(card(client, solna.pk))

    assert listed.count("<li>") == 3
    for label in ("Ärenden och meddelanden", "Boka, av- och omboka tid", "Förnya recept"):
        assert f"<li>{label}</li>" in listed
    assert "Journalen" not in listed


def test_a_listed_unit_offers_no_e_services_yet(demo: Demo, client: Client) -> None:
    vaccination = demo.unit("vaccination")
    UnitEService.objects.create(unit=vaccination, service=EService.BOOKING, active=True)

    listed = services_listed(card(client, vaccination.pk))

    assert "<li>" not in listed
    assert NO_SERVICES in listed


def test_an_active_unit_with_no_active_e_services(demo: Demo, client: Client) -> None:
    tolk = demo.unit("tolk")
    UnitEService.objects.filter(unit=tolk).update(active=False)

    assert NO_SERVICES in services_listed(card(client, tolk.pk))


def test_an_inactive_unit_has_no_card(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    Unit.objects.filter(pk=solna.pk).update(status=UnitStatus.INACTIVE)

    response = client.get(reverse("directory:unit", args=[solna.pk]))

    assert response.status_code == 404
    assert "Vårdcentral Solna" not in response.content.decode()


@pytest.mark.parametrize("unit_id", ["finns-inte", "12345", str(uuid.uuid4())])
def test_a_malformed_or_unknown_id_is_not_found(demo: Demo, client: Client, unit_id: str) -> None:
    assert client.get(reverse("directory:unit", args=[unit_id])).status_code == 404


def test_headings_run_in_order(demo: Demo, client: Client) -> None:
    body = card(client, demo.unit("solna").pk)
    assert body.index("<h1") < body.index("<h2")
    assert "<h3" not in body
