"""The head of a unit applies and the region approves, in Chromium, with an axe check on every page."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from vardkontakt.web.tests.test_browser import (  # noqa: F401  (fixtures)
    assert_accessible,
    browser,
    page,
    simulators,
)

pytestmark = pytest.mark.browser


def test_apply_then_the_region_approves(page: Page) -> None:  # noqa: F811
    page.goto("/anslutning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ansök om anslutning till Vårdkontakt")
    assert_accessible(page)
    page.get_by_label("Enhetens HSA-id").fill("SE5599999999-7002")  # Vårdcentral Nacka: no agreement
    page.get_by_role("button", name="Skicka ansökan").click()
    expect(page.get_by_role("alert")).to_contain_text("inget avtal med regionen")
    assert_accessible(page)
    page.get_by_label("Enhetens HSA-id").fill("SE5599999999-7001")  # Vaccinationsmottagning Solna
    page.get_by_label("Ditt namn (verksamhetschef)").fill("Vilma Verksam")
    page.get_by_label("E-postadress").fill("chef@vaccination.example")
    page.get_by_label("Ärenden och meddelanden").check()
    page.get_by_label("HSA-id", exact=True).first.fill("SE5599999999-A001")
    page.get_by_label("Förnamn").first.fill("Alva")
    page.get_by_label("Efternamn").first.fill("Admin")
    page.get_by_role("button", name="Skicka ansökan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ansökan är skickad")
    assert_accessible(page)
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/anslutning/status/" in line)
    page.goto(link.strip())
    expect(page.get_by_text("Väntar på beslut")).to_be_visible()
    assert_accessible(page)

    page.goto("/vardpersonal/")
    page.get_by_role("button", name="Logga in med SITHS-kort").click()
    page.get_by_label("Rita Rask", exact=False).check()
    page.get_by_role("button", name="Godkänn").click()
    page.get_by_role("link", name="Anslutningar", exact=False).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anslutningar")
    assert_accessible(page)
    page.get_by_role("link", name="Vaccinationsmottagning Solna").click()
    assert_accessible(page)
    page.get_by_role("button", name="Avslå ansökan").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv ett skäl.")
    assert_accessible(page)
    page.get_by_role("button", name="Godkänn och anslut").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vaccinationsmottagning Solna")
    expect(page.locator("#unit-state")).to_have_text("Ansluten")
    assert_accessible(page)
