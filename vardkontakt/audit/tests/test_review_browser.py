"""A reviewer's walk through the log review in Chromium, with an axe check on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from vardkontakt.web.tests.test_browser import (  # noqa: F401  (fixtures)
    assert_accessible,
    browser,
    page,
    simulators,
)

pytestmark = pytest.mark.browser


def test_a_reviewer_filters_samples_concludes_and_closes(page: Page) -> None:  # noqa: F811
    page.goto("/vardpersonal/")
    page.get_by_role("button", name="Logga in med SITHS-kort").click()
    page.get_by_label("Greta Gran", exact=False).check()
    page.get_by_role("button", name="Godkänn").click()
    page.get_by_role("link", name="Granska åtkomstloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Granska åtkomstloggen")
    assert_accessible(page)
    page.get_by_label("Från och med").fill("2099-01-01")
    page.get_by_role("button", name="Visa loggposter").click()
    expect(page.get_by_role("alert")).to_contain_text("Startdatumet kan inte vara senare än slutdatumet.")
    assert_accessible(page)
    page.get_by_role("link", name="Startdatumet kan inte vara senare än slutdatumet.").click()
    expect(page.get_by_label("Från och med")).to_be_focused()
    page.get_by_label("Från och med").fill("2026-01-01")
    page.get_by_role("button", name="Visa loggposter").click()
    # The demo seed's role grants at Solna are in its log.
    expect(page.get_by_role("heading", level=1)).to_have_text("Loggposter")
    expect(page.get_by_role("cell", name="Gav behörighet", exact=False).first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Antal loggposter i stickprovet").fill("1")
    page.get_by_role("button", name="Dra stickprov").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Granskning")
    assert_accessible(page)
    page.get_by_role("link", name="1 bedöm loggposten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Loggpost 1")
    assert_accessible(page)
    page.get_by_label("Befogad", exact=True).check()
    page.get_by_role("button", name="Spara slutsatsen").click()
    expect(page.get_by_role("cell", name="Befogad", exact=True)).to_be_visible()
    page.get_by_label("Inga anmärkningar").check()
    page.get_by_label("Granskningens slutsats").fill("Åtkomsten var befogad.")
    page.get_by_role("button", name="Avsluta granskningen").click()
    expect(page.get_by_text("Granskningen är avslutad.")).to_be_visible()
    assert_accessible(page)
