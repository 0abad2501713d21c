"""A person's walk through the pages in Debian's Chromium, with an axe check on every page.

Fails on any serious or critical axe violation. Runs against pytest-django's live server."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from vardkontakt.web import demo as demo_data

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Flags for a machine without network or screen (see README, "Browser tests").
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("VK_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: scripts/test installs it, or set VK_CHROMIUM to its path.")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread while the browser is open; the ORM
    # calls the tests make between browser steps (fixtures, seeding) are ordinary synchronous ones.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def page(browser: Browser, live_server: object, transactional_db: None) -> Iterator[Page]:
    demo_data.seed()
    # axe is injected as an inline script, which the site's CSP rightly forbids; bypass it for the check.
    context = browser.new_context(base_url=str(live_server), bypass_csp=True, locale="sv-SE")
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page: Page) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    serious = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    details = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in serious
    ]
    assert not serious, f"axe violations on {page.url}:\n{json.dumps(details, indent=2, ensure_ascii=False)}"


def test_resident_walks_the_public_pages_and_logs_in(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vårdkontakt")
    assert_accessible(page)

    page.get_by_role("link", name="Sök mottagning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hitta vård")
    page.get_by_label("Mottagningens namn eller ort").fill("Solna")
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("link", name="Vårdcentral Solna")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Vårdcentral Solna").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vårdcentral Solna")
    expect(page.get_by_text("Ärenden och meddelanden")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Logga in", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    assert_accessible(page)
    page.get_by_role("button", name="Logga in som Anna Andersson").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina sidor")
    assert_accessible(page)

    page.get_by_label("Elsa Andersson").check()
    page.get_by_role("button", name="Byt").click()
    expect(page.get_by_text("Du agerar för Elsa Andersson")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    page.goto("/mina-sidor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")


def test_staff_logs_in_to_the_staff_tool(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Logga in som vårdpersonal").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in som vårdpersonal")
    assert_accessible(page)
    page.get_by_role("button", name="Logga in som Maria Malm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vårdpersonalens verktyg")
    expect(page.get_by_role("cell", name="Ärendemottagare")).to_be_visible()
    assert_accessible(page)
    # The staff session does not open the residents' pages.
    page.goto("/mina-sidor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du saknar behörighet")
    assert_accessible(page)


def test_error_page_and_english(page: Page) -> None:
    response = page.goto("/finns-inte/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Sidan hittades inte")
    assert_accessible(page)
    page.goto("/")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Log in", exact=True).first).to_be_visible()
    assert_accessible(page)
