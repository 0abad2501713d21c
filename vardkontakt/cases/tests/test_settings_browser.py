"""The clinic settings pages in Chromium, with an axe check on each: the local administrator's case
types and approved residents, the unit manager's guardian blocks, the resident's clinics."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from vardkontakt.web.tests.test_browser import (  # noqa: F401  (fixtures)
    assert_accessible,
    browser,
    page,
    simulators,
)

pytestmark = pytest.mark.browser


def staff_login(tab: Page, name: str) -> None:
    tab.goto("/vardpersonal/")
    tab.get_by_role("button", name="Logga in med SITHS-kort").click()
    tab.get_by_label(name, exact=False).check()
    tab.get_by_role("button", name="Godkänn").click()


def test_settings_pages_work_and_pass_axe(page: Page) -> None:  # noqa: F811
    staff_login(page, "Lena Lind")
    page.goto(reverse("staff_cases:types"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ärendetyper")
    assert_accessible(page)
    page.get_by_role("button", name="Skapa en egen ärendetyp").click()
    page.get_by_role("button", name="Spara ärendetypen").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv ett namn på ärendetypen.")
    assert_accessible(page)
    page.get_by_role("link", name="Skriv ett namn på ärendetypen.").click()
    expect(page.get_by_label("Namn", exact=True)).to_be_focused()
    page.get_by_label("Namn", exact=True).fill("Fråga om provsvar")
    page.locator("#id_question_1_label").fill("Vilket prov?")
    page.get_by_label("Bara för invånare som mottagningen ger den till").check()
    page.get_by_role("button", name="Spara ärendetypen").click()
    expect(page.get_by_text("Ärendetypen Fråga om provsvar är sparad.")).to_be_visible()
    page.get_by_role("link", name="Invånare som får använda den").click()
    assert_accessible(page)
    page.get_by_label("Personnummer").fill("19870102-2389")
    page.get_by_label("Får använda ärendetypen till och med").fill("2020-01-01")
    page.get_by_role("button", name="Ge ärendetypen").click()
    expect(page.get_by_role("alert")).to_contain_text("Datumet har redan passerat.")
    assert_accessible(page)
    page.goto(reverse("staff_cases:approved_residents"))
    page.get_by_label("Personnummer").fill("19580112-2655")
    page.get_by_role("button", name="Godkänn", exact=True).click()
    expect(page.get_by_role("cell", name="Lars Johansson 19580112-****")).to_be_visible()
    assert "2655" not in urlsplit(page.url).query
    assert_accessible(page)

    manager = page.context.browser.new_context(base_url=page.url.split("/vardpersonal")[0], bypass_csp=True)  # type: ignore[union-attr]
    other = manager.new_page()
    staff_login(other, "Vera Vik")
    other.goto(reverse("staff_cases:guardian_blocks"))
    expect(other.get_by_role("heading", level=1)).to_have_text("Blockering av vårdnadshavare")
    other.get_by_label("Barnets personnummer").fill("20160102-2385")
    other.get_by_label("Vårdnadshavarens personnummer").fill("19580112-2655")
    other.get_by_role("button", name="Blockera").click()
    expect(other.get_by_role("alert")).to_contain_text("Personen är inte vårdnadshavare för barnet.")
    assert_accessible(other)
    manager.close()
