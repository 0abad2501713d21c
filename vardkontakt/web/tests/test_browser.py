"""A person's walk through the pages in Debian's Chromium, with an axe check on every page.

Fails on any serious or critical axe violation. Runs against pytest-django's live server."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from vardkontakt.simulators.server import build_app, serve
from vardkontakt.web import demo as demo_data
from vardkontakt.web.management.commands.run_simulators import demo_people

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


@pytest.fixture(scope="module")
def simulators() -> Iterator[str]:
    """The e-ID simulators on a free loopback port, as `manage.py run_simulators` serves them."""
    residents, staff = demo_people()
    server = serve(build_app("http://127.0.0.1:0", residents, staff, "simulator-secret"), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_port}"
    server.get_app()  # the app was built before the port was known: rebuild it with its address
    server.set_app(build_app(base, residents, staff, "simulator-secret"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(
    browser: Browser, live_server: object, transactional_db: None, simulators: str, settings: Any
) -> Iterator[Page]:
    settings.VK_SIMULATOR_URL = simulators
    settings.VK_BANKID_API_URL = f"{simulators}/bankid/rp/v6.0/"
    settings.VK_BANKID_APP_URL = f"{simulators}/bankid/app/"
    settings.VK_FREJA_ISSUER = f"{simulators}/freja"
    settings.VK_SITHS_ISSUER = f"{simulators}/siths"
    demo_data.seed()
    # axe is injected as an inline script, which the site's CSP rightly forbids; bypass it for the check.
    context = browser.new_context(base_url=str(live_server), bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(20000)
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page: Page) -> None:
    page.add_script_tag(path=str(AXE))
    # axe.run gets a deadline of its own: page.evaluate has none, and a check that never answers
    # must fail the test, not stall the run.
    result = page.evaluate(
        """async () => await Promise.race([
            axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}),
            new Promise((_, reject) => setTimeout(() => reject(new Error('axe did not finish in 30 s')), 30000)),
        ])"""
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


def approve_in_the_bankid_app(login_page: Page, simulators: str, person: str) -> None:
    """Play the person with the BankID app: scan the QR code, pick the BankID, identify.

    The QR code is read off the login page at the moment of scanning: like the real app, the
    simulator accepts only a code that is a few seconds old."""
    # The phone is another device: its own browser context, so the login page stays a visible,
    # foreground page (a background tab's timers and animation frames are throttled).
    phone = login_page.context.browser.new_context()  # type: ignore[union-attr]
    app = phone.new_page()
    app.goto(f"{simulators}/bankid/app/")
    app.get_by_label("QR-kodens innehåll").fill(
        login_page.locator("[data-qr]").get_attribute("data-qr") or ""
    )
    app.get_by_role("button", name="Läs av").click()
    app.get_by_label(person, exact=False).check()
    app.get_by_role("button", name="Fortsätt").click()
    app.get_by_role("button", name="Identifiera").click()
    phone.close()


def test_resident_walks_the_public_pages_and_logs_in_with_bankid(page: Page, simulators: str) -> None:
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

    page.get_by_role("link", name="Om inloggning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Om inloggning")
    assert_accessible(page)

    page.get_by_role("link", name="Logga in", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    assert_accessible(page)
    page.get_by_role("button", name="Logga in med BankID").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in med BankID")
    qr = page.locator("[data-qr]")
    first = qr.get_attribute("data-qr") or ""
    assert first.startswith("bankid.")
    expect(qr).not_to_have_attribute("data-qr", first, timeout=4000)  # the QR code moves every second
    assert_accessible(page)

    approve_in_the_bankid_app(page, simulators, "Anna Andersson")
    # The page collects every 2 seconds; first login asks for consent.
    expect(page.get_by_role("heading", level=1)).to_have_text("Villkor för Vårdkontakt", timeout=15000)
    assert_accessible(page)
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("Du behöver godkänna villkoren")
    assert_accessible(page)
    page.get_by_label("Jag vill kommunicera digitalt").check()
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina sidor")
    assert_accessible(page)

    page.get_by_label("Elsa Andersson").check()
    page.get_by_role("button", name="Byt").click()
    expect(page.get_by_text("Du agerar för Elsa Andersson")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Inställningar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inställningar")
    assert_accessible(page)
    page.get_by_role("button", name="Ändra kontaktuppgifter").click()
    page.get_by_label("E-postadress").fill("inte-en-adress")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text("Ange en e-postadress i rätt format")
    assert_accessible(page)

    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    page.goto("/mina-sidor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")


def test_resident_logs_in_with_freja_eid_plus(page: Page) -> None:
    page.goto("/logga-in/")
    page.get_by_role("button", name="Logga in med Freja eID Plus").click()
    assert_accessible(page)
    page.get_by_label("Lars Johansson", exact=False).check()
    page.get_by_role("button", name="Godkänn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Villkor för Vårdkontakt")


def test_staff_logs_in_to_the_staff_tool_with_siths(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Logga in som vårdpersonal").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in som vårdpersonal")
    assert_accessible(page)
    page.get_by_role("button", name="Logga in med SITHS-kort").click()
    page.get_by_label("Maria Malm", exact=False).check()
    page.get_by_role("button", name="Godkänn").click()
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


def as_person(browser: Browser, live_server: object, user: Any, realm: str) -> Page:
    """A browser already logged in as ``user``: the session a completed e-ID login leaves behind.
    The e-ID walks above run the real protocols; this one is about what comes after."""
    from django.contrib.sessions.backends.db import SessionStore

    from vardkontakt.identity.session import AUTH_AT_KEY, BACKEND, METHOD_KEY, REALM_KEY, SEEN_AT_KEY

    session = SessionStore()
    now = int(time.time())
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": BACKEND,
            "_auth_user_hash": user.get_session_auth_hash(),
            REALM_KEY: realm,
            AUTH_AT_KEY: now,
            SEEN_AT_KEY: now,
            METHOD_KEY: "test",
        }
    )
    session.create()
    context = browser.new_context(base_url=str(live_server), bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(20000)
    host = urlsplit(str(live_server)).hostname or "localhost"
    context.add_cookies(
        [{"name": "vk_session", "value": session.session_key or "", "domain": host, "path": "/"}]
    )
    return context.new_page()


def test_a_case_goes_from_the_resident_to_the_clinic_and_back(
    page: Page, browser: Browser, live_server: object
) -> None:
    from vardkontakt.identity.actions import record_consent
    from vardkontakt.identity.models import Resident, Staff

    anna = Resident.objects.get(given_name="Anna", family_name="Andersson")
    record_consent(anna)
    resident = as_person(browser, live_server, anna.user, "resident")
    resident.goto("/mina-sidor/arenden/")
    expect(resident.get_by_role("heading", level=1)).to_have_text("Mina ärenden")
    assert_accessible(resident)
    resident.get_by_role("button", name="Skriv ett nytt ärende").click()
    resident.get_by_label("Vårdcentral Solna").check()
    resident.get_by_role("button", name="Fortsätt").click()
    assert_accessible(resident)
    resident.get_by_label("Skicka meddelande").check()
    resident.get_by_role("button", name="Fortsätt").click()
    resident.get_by_role("button", name="Skicka").click()  # empty: errors, nothing sent
    expect(resident.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(resident)
    resident.get_by_label("Rubrik").fill("Fråga om provsvar")
    resident.get_by_label("Meddelande").fill("Hej! Har mina provsvar kommit?")
    resident.get_by_label("Jag har läst och godkänner villkoren.").check()
    resident.get_by_role("button", name="Skicka").click()
    expect(resident.get_by_role("heading", level=1)).to_contain_text("Fråga om provsvar")
    number = (resident.locator("text=/\\d{4}-\\d{7}/").first.text_content() or "").strip()
    assert_accessible(resident)

    maria = as_person(browser, live_server, Staff.objects.get(given_name="Maria").user, "staff")
    maria.goto("/vardpersonal/arenden/")
    expect(maria.get_by_role("heading", level=1)).to_have_text("Mottagningens inkorg")
    assert_accessible(maria)
    maria.get_by_role("link", name=re.compile(r"\d{4}-\d{7}")).first.click()
    expect(maria.get_by_text("Hej! Har mina provsvar kommit?")).to_be_visible()
    maria.get_by_label("Ärendehanterare").select_option(label="Hans Holm, Distriktsläkare")
    maria.get_by_label("Delsvar till invånaren (valfritt)").fill("Vi har tagit emot ditt ärende.")
    maria.get_by_role("button", name="Fördela").click()
    expect(maria.get_by_text("Ärendet är fördelat.")).to_be_visible()
    assert_accessible(maria)

    hans = as_person(browser, live_server, Staff.objects.get(given_name="Hans").user, "staff")
    hans.goto("/vardpersonal/arenden/mina/")
    assert_accessible(hans)
    hans.get_by_role("link", name=re.compile(r"\d{4}-\d{7}")).first.click()
    hans.get_by_role("textbox", name="Svar till invånaren", exact=True).fill("Dina provsvar är normala.")
    hans.get_by_role("button", name="Skicka svar").click()
    expect(hans.get_by_text("Svaret är skickat.")).to_be_visible()
    assert_accessible(hans)

    resident.reload()
    expect(resident.get_by_text("Dina provsvar är normala.")).to_be_visible()
    expect(resident.get_by_text("Vi har tagit emot ditt ärende.")).to_be_visible()
    assert_accessible(resident)
    assert number
