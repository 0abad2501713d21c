"""BankID login for residents, end to end: the Django views, the real client, and the simulator
speaking the RP API v6 through ``httpx.WSGITransport``. The person's side is played on the
simulator as the BankID app would: a QR code read off the page, or the autostart link followed."""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from vardkontakt.identity.adapters import local_register
from vardkontakt.identity.eid import bankid, bankid_views
from vardkontakt.identity.login import STEP_UP_KEY
from vardkontakt.identity.session import AUTH_AT_KEY, METHOD_KEY, REALM_KEY
from vardkontakt.simulators.bankid import AppError, BankIdSimulator, SimOrder
from vardkontakt.simulators.people import SimResident

pytestmark = pytest.mark.django_db

ANNA = "198701022389"
LARS = "195801122655"
GOSTA = "194501103297"  # registered as deceased
EVERY_NUMBER = [p.personnummer for p in local_register().people()]
START = "/logga-in/bankid/"
HTMX = {"HX-Request": "true"}
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"

RFA6 = "Åtgärden avbruten."
RFA8 = "BankID-appen svarar inte."
RFA9 = "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under."
RFA16 = "Det BankID du försöker använda är för gammalt eller spärrat."
RFA17A = "BankID-appen verkar inte finnas i din dator eller mobil."
RFA17B = "Misslyckades att läsa av QR-koden."
RFA4 = "En identifiering eller underskrift för det här personnumret är redan påbörjad."
RFA5 = "Internt tekniskt fel. Försök igen."


class SimClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim_clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, sim_clock: SimClock) -> BankIdSimulator:
    """The simulator behind the real client: every view's API call goes through it."""
    people = [SimResident(p.personnummer, p.given_name, p.family_name) for p in local_register().people()]
    simulator = BankIdSimulator(people, clock=sim_clock)
    transport = httpx.WSGITransport(app=simulator)
    real_get_client = bankid.get_client
    monkeypatch.setattr(bankid, "get_client", lambda transport_=None: real_get_client(transport))
    return simulator


@dataclass
class Page:
    response: Any
    text: str
    order_ref: str
    qr: str
    app_url: str


def open_page(client: Client, **extra: str) -> Page:
    response = client.get(START, **extra)  # type: ignore[arg-type]
    assert response.status_code == 200, response.content[:800]
    text = response.content.decode()
    qr = re.search(r'data-qr="([^"]+)"', text)
    app = re.search(r'href="([^"]*autostarttoken=[^"]*)"', text)
    assert qr and app, text
    return Page(
        response, text, client.session["vk_bankid"]["order_ref"], qr.group(1), html.unescape(app.group(1))
    )


def poll(client: Client, order_ref: str, **extra: str) -> Any:
    """Collect as the page's HTMX poll does."""
    return client.get(reverse("bankid:status", args=[order_ref]), headers=HTMX, **extra)  # type: ignore[arg-type]


def autostart_token(page: Page) -> str:
    match = re.search(r"autostarttoken=([0-9a-f-]+)&redirect=null$", page.app_url)
    assert match, page.app_url
    return match.group(1)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def log_in(client: Client, sim: BankIdSimulator, personnummer: str = ANNA) -> None:
    page = open_page(client)
    sim.scan(page.qr)
    sim.choose(page.order_ref, personnummer)
    sim.approve(page.order_ref)
    response = poll(client, page.order_ref)
    assert response["HX-Redirect"] == reverse("web:resident_home")


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("login failed method=bankid")]


# --- The page ---------------------------------------------------------------------------------------
def test_the_page_shows_an_animated_qr_code_and_the_same_device_link(
    client: Client, sim: BankIdSimulator
) -> None:
    page = open_page(client)
    order = sim.order(page.order_ref)
    assert page.qr == bankid.qr_data(order.qr_start_token, order.qr_start_secret, 0)
    assert page.qr.startswith(f"bankid.{order.qr_start_token}.0.")
    assert order.qr_start_secret not in page.text  # the secret never reaches the browser
    assert "<svg" in page.text and 'role="img"' in page.text
    assert f'hx-get="{reverse("bankid:qr", args=[page.order_ref])}" hx-trigger="every 1s"' in page.text
    assert f'hx-get="{reverse("bankid:status", args=[page.order_ref])}" hx-trigger="every 2s"' in page.text
    assert 'role="status" aria-live="polite"' in page.text
    assert (
        page.app_url
        == f"http://127.0.0.1:8010/bankid/app/?autostarttoken={order.auto_start_token}&redirect=null"
    )
    assert "BankID på den här enheten" in page.text
    assert "Kan du inte läsa av QR-koden?" in page.text  # the way without the QR code, in plain words
    assert '<h1 class="govuk-heading-xl">Logga in med BankID</h1>' in page.text
    assert "Starta BankID-appen." in page.text
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []  # no inline script: the CSP forbids it
    assert page.response["Cache-Control"].startswith("max-age=0")


def test_the_qr_code_changes_every_second(
    client: Client, sim: BankIdSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = time.time
    offset = {"s": 0.0}
    monkeypatch.setattr(time, "time", lambda: real() + offset["s"])
    page = open_page(client)
    order = sim.order(page.order_ref)
    seen = []
    for _ in range(3):
        response = client.get(reverse("bankid:qr", args=[page.order_ref]), headers=HTMX)
        assert response.status_code == 200
        content = re.search(r'data-qr="([^"]+)"', response.content.decode())
        assert content
        seen.append(content.group(1))
        offset["s"] += 1
    assert seen == [bankid.qr_data(order.qr_start_token, order.qr_start_secret, s) for s in range(3)]
    assert len(set(seen)) == 3


def test_a_reload_keeps_the_same_order(client: Client, sim: BankIdSimulator) -> None:
    first = open_page(client)
    again = open_page(client)
    assert again.order_ref == first.order_ref
    assert len(sim.orders()) == 1


def test_bankid_can_be_switched_off(client: Client, sim: BankIdSimulator, settings: Settings) -> None:
    settings.VK_EID_PROVIDERS = ["freja"]
    assert client.get(START).status_code == 404
    assert sim.orders() == []


# --- Complete ---------------------------------------------------------------------------------------
def test_complete_with_the_qr_code(
    client: Client, sim: BankIdSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    page = open_page(client)
    anonymous_key = client.cookies["vk_session"].value
    assert (
        poll(client, page.order_ref).status_code == 204
    )  # still "Starta BankID-appen.": nothing to announce

    sim.scan(page.qr)
    started = poll(client, page.order_ref)
    assert started.status_code == 200
    assert "Söker efter BankID" in started.content.decode()
    sim.choose(page.order_ref, ANNA)
    signing = poll(client, page.order_ref)
    assert RFA9 in signing.content.decode()
    assert poll(client, page.order_ref).status_code == 204

    sim.approve(page.order_ref)
    done = poll(client, page.order_ref)
    assert done.status_code == 200
    assert done["HX-Redirect"] == reverse("web:resident_home")
    assert is_logged_in(client)
    assert client.session[REALM_KEY] == "resident"
    assert client.session[METHOD_KEY] == "bankid"
    assert "vk_bankid" not in client.session
    assert client.cookies["vk_session"].value != anonymous_key  # a new session at login
    assert failures(caplog) == []
    assert not any(number in caplog.text for number in EVERY_NUMBER)


def test_complete_through_the_simulators_app_page(client: Client, sim: BankIdSimulator) -> None:
    """As a person would: paste the QR code into the app, pick a person, approve."""
    page = open_page(client)
    app = httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://127.0.0.1:8010")
    scanned = app.post("/bankid/app/scan", data={"qr": page.qr})
    assert scanned.status_code == 303
    order_page = scanned.headers["Location"]
    app.post(order_page, data={"action": "choose", "person": LARS})
    app.post(order_page, data={"action": "approve"})
    assert poll(client, page.order_ref)["HX-Redirect"] == reverse("web:resident_home")
    assert is_logged_in(client)


def test_complete_on_the_same_device_without_javascript(client: Client, sim: BankIdSimulator) -> None:
    page = open_page(client)
    app = httpx.Client(transport=httpx.WSGITransport(app=sim))
    opened = app.get(page.app_url)  # the "BankID på den här enheten" link
    assert opened.status_code == 303
    sim.choose(page.order_ref, ANNA)
    sim.approve(page.order_ref)
    reloaded = client.get(START)  # without JavaScript, reloading the page collects the order
    assert reloaded.status_code == 302
    assert reloaded["Location"] == reverse("web:resident_home")
    assert is_logged_in(client)


# --- Failed -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "reason", "message"),
    [
        ("user_cancel", "userCancel", RFA6),
        ("expired", "expiredTransaction", RFA8),
        ("fail_start", "startFailed", RFA17B),
        ("certificate_error", "certificateErr", RFA16),
    ],
)
def test_a_failed_order_says_why_and_counts(
    client: Client,
    sim: BankIdSimulator,
    sim_clock: SimClock,
    caplog: pytest.LogCaptureFixture,
    outcome: str,
    reason: str,
    message: str,
) -> None:
    caplog.set_level(logging.INFO)
    page = open_page(client)
    if outcome == "expired":
        sim_clock.advance(31)
    else:
        sim.open_autostart(autostart_token(page))
        if outcome == "certificate_error":
            sim.choose(page.order_ref, ANNA)
        getattr(sim, outcome)(page.order_ref)
    response = poll(client, page.order_ref)
    text = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#bankid-order"
    assert response["HX-Reswap"] == "outerHTML"
    assert message in text
    assert 'role="alert"' in text and "autofocus" in text  # announced, and focus moves to it
    assert "Försök igen" in text and f'action="{START}"' in text
    assert not is_logged_in(client)
    assert "vk_bankid" not in client.session
    assert failures(caplog) == [f"login failed method=bankid reason={reason} ip=127.0.0.1"]
    # The order is over: asking again is refused, and nothing more is counted.
    assert poll(client, page.order_ref).status_code == 286
    assert len(failures(caplog)) == 1


def test_try_again_starts_a_new_order(client: Client, sim: BankIdSimulator) -> None:
    page = open_page(client)
    sim.user_cancel(page.order_ref)
    poll(client, page.order_ref)
    again = client.post(START)
    assert again.status_code == 303
    assert again["Location"] == START
    assert open_page(client).order_ref != page.order_ref


def test_a_failed_order_without_javascript(client: Client, sim: BankIdSimulator) -> None:
    page = open_page(client)
    sim.user_cancel(page.order_ref)
    response = client.get(START)
    assert response.status_code == 200
    assert RFA6 in response.content.decode()


def test_on_a_phone_the_messages_fit_the_same_device(client: Client, sim: BankIdSimulator) -> None:
    page = open_page(client, HTTP_USER_AGENT=ANDROID)
    # On a phone the same-device button comes first.
    assert page.text.index("BankID på den här enheten") < page.text.index("Mobilt BankID på en annan enhet")
    sim.open_autostart(autostart_token(page))
    assert "i den här enheten" in poll(client, page.order_ref, HTTP_USER_AGENT=ANDROID).content.decode()
    sim.fail_start(page.order_ref)
    assert RFA17A in poll(client, page.order_ref, HTTP_USER_AGENT=ANDROID).content.decode()


# --- Cancel -----------------------------------------------------------------------------------------
def test_cancel_cancels_the_order_at_bankid(
    client: Client, sim: BankIdSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    page = open_page(client)
    response = client.post(reverse("bankid:cancel", args=[page.order_ref]))
    assert response.status_code == 200
    assert RFA6 in response.content.decode()
    with pytest.raises(AppError):
        sim.order(page.order_ref)  # /cancel was called: BankID no longer knows the order
    assert "vk_bankid" not in client.session
    assert failures(caplog) == ["login failed method=bankid reason=cancelled ip=127.0.0.1"]


def test_cancel_needs_post_and_csrf(sim: BankIdSimulator) -> None:
    client = Client(enforce_csrf_checks=True)
    page = open_page(client)
    assert client.get(reverse("bankid:cancel", args=[page.order_ref])).status_code == 405
    assert client.post(reverse("bankid:cancel", args=[page.order_ref])).status_code == 403
    assert sim.order(page.order_ref).status == "pending"


# --- The order belongs to its session ---------------------------------------------------------------
def test_another_sessions_order_is_refused(sim: BankIdSimulator) -> None:
    owner, other = Client(), Client()
    page = open_page(owner)
    sim.scan(page.qr)
    sim.choose(page.order_ref, ANNA)
    sim.approve(page.order_ref)
    for who in (other, Client()):
        # An HTMX poll is told the order is gone (and stops polling); a plain request gets 404.
        refused = poll(who, page.order_ref)
        assert refused.status_code == 286
        assert "pågår inte längre" in refused.content.decode()
        assert "HX-Redirect" not in refused
        assert who.get(reverse("bankid:status", args=[page.order_ref])).status_code == 404
        assert who.get(reverse("bankid:qr", args=[page.order_ref])).status_code == 404
        quiet = who.get(reverse("bankid:qr", args=[page.order_ref]), headers=HTMX)
        assert (quiet.status_code, quiet.content, quiet.has_header("HX-Retarget")) == (286, b"", False)
        assert who.post(reverse("bankid:cancel", args=[page.order_ref])).status_code == 404
        assert not is_logged_in(who)
    # Even a session with an order of its own cannot use someone else's orderRef.
    own = open_page(other)
    assert poll(other, page.order_ref).status_code == 286
    assert other.session["vk_bankid"]["order_ref"] == own.order_ref
    assert not is_logged_in(other)
    # The owner's order was neither collected into another session nor cancelled.
    assert poll(owner, page.order_ref)["HX-Redirect"] == reverse("web:resident_home")
    assert is_logged_in(owner)


# --- endUserIp --------------------------------------------------------------------------------------
def only_order(sim: BankIdSimulator) -> SimOrder:
    (order,) = sim.orders()
    return order


def test_end_user_ip_is_the_remote_address_not_a_header(client: Client, sim: BankIdSimulator) -> None:
    client.get(START, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert only_order(sim).end_user_ip == "203.0.113.9"


def test_end_user_ip_from_the_trusted_proxy(client: Client, sim: BankIdSimulator, settings: Settings) -> None:
    settings.VK_TRUSTED_PROXIES = 1
    # The client invents the first entry; our one proxy appended the address it saw.
    client.get(START, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.50")
    assert only_order(sim).end_user_ip == "203.0.113.50"


# --- Rate limits ------------------------------------------------------------------------------------
def test_too_many_failures_in_a_session_stop_new_orders(
    client: Client, sim: BankIdSimulator, settings: Settings
) -> None:
    settings.VK_LOGIN_FAILURES_PER_SESSION = 2
    for _ in range(2):
        page = open_page(client)
        client.post(reverse("bankid:cancel", args=[page.order_ref]))
    refused = client.get(START)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "för många inloggningsförsök" in text and "Vänta 15 minuter" in text
    assert 'role="alert"' in text
    assert len(sim.orders()) == 0  # both cancelled, and no new one
    # Another session from elsewhere is not affected.
    assert Client().get(START, REMOTE_ADDR="192.0.2.44").status_code == 200


def test_too_many_failures_from_one_address(sim: BankIdSimulator, settings: Settings) -> None:
    settings.VK_LOGIN_FAILURES_PER_IP = 2
    for _ in range(2):
        client = Client()
        page = open_page(client)
        sim.user_cancel(page.order_ref)
        poll(client, page.order_ref)
    assert Client().get(START).status_code == 429


# --- Rules after BankID: the population register ------------------------------------------------------
def test_a_deceased_person_is_refused(
    client: Client, sim: BankIdSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    page = open_page(client)
    sim.scan(page.qr)
    sim.choose(page.order_ref, GOSTA)
    sim.approve(page.order_ref)
    response = poll(client, page.order_ref)
    text = response.content.decode()
    assert "Den här personen kan inte logga in." in text
    assert response["HX-Retarget"] == "#bankid-order"
    assert GOSTA not in text and "19450110" not in text
    assert not is_logged_in(client)
    assert failures(caplog) == ["login failed method=bankid reason=deceased ip=127.0.0.1"]
    assert GOSTA not in caplog.text


# --- Step-up ----------------------------------------------------------------------------------------
def begin_step_up(client: Client, next_url: str) -> None:
    session = client.session
    session[STEP_UP_KEY] = {"next": next_url}
    session[AUTH_AT_KEY] = int(time.time()) - 3600
    session.save()


def test_step_up_requires_the_same_person_and_refreshes_the_authentication(
    client: Client, sim: BankIdSimulator
) -> None:
    log_in(client, sim, ANNA)
    key = client.cookies["vk_session"].value
    begin_step_up(client, "/mina-sidor/installningar/aviseringar/")
    page = open_page(client)
    assert "Bekräfta din identitet med BankID" in page.text
    assert ANNA not in page.text
    order = sim.order(page.order_ref)
    assert order.required_personal_number == ANNA  # requirement.personalNumber was sent
    assert [p.personnummer for p in sim.eligible(order)] == [ANNA]
    sim.open_autostart(autostart_token(page))
    sim.choose(page.order_ref, ANNA)
    sim.approve(page.order_ref)
    done = poll(client, page.order_ref)
    assert done["HX-Redirect"] == "/mina-sidor/installningar/aviseringar/"
    assert client.cookies["vk_session"].value == key  # the same session, not a new one
    assert time.time() - client.session[AUTH_AT_KEY] < 5
    assert STEP_UP_KEY not in client.session
    assert "vk_bankid" not in client.session


def test_step_up_never_leaves_the_site(client: Client, sim: BankIdSimulator) -> None:
    log_in(client, sim, ANNA)
    begin_step_up(client, "https://evil.example/")
    page = open_page(client)
    sim.open_autostart(autostart_token(page))
    sim.choose(page.order_ref, ANNA)
    sim.approve(page.order_ref)
    assert poll(client, page.order_ref)["HX-Redirect"] == reverse("web:resident_home")


def test_a_normal_login_sends_no_personal_number(client: Client, sim: BankIdSimulator) -> None:
    open_page(client)
    assert only_order(sim).required_personal_number == ""


def test_already_in_progress_is_said(sim: BankIdSimulator) -> None:
    first, second = Client(), Client()
    log_in(first, sim, ANNA)
    log_in(second, sim, ANNA)
    begin_step_up(first, "/")
    begin_step_up(second, "/")
    open_page(first)
    response = second.get(START)
    assert response.status_code == 200
    assert RFA4 in response.content.decode()


# --- BankID unavailable -----------------------------------------------------------------------------
def test_maintenance_when_starting(
    client: Client, sim: BankIdSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim.maintenance = True
    response = client.get(START)
    assert response.status_code == 503
    assert RFA5 in response.content.decode()
    assert failures(caplog) == []  # not the person's failure


def test_a_passing_outage_while_collecting_keeps_the_order(
    client: Client, sim: BankIdSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_page(client)
    sim.maintenance = True
    first = poll(client, page.order_ref)
    assert first.status_code == 200  # "Identifiering eller underskrift pågår."
    assert poll(client, page.order_ref).status_code == 204
    sim.maintenance = False
    sim.scan(page.qr)
    sim.choose(page.order_ref, ANNA)
    sim.approve(page.order_ref)
    assert poll(client, page.order_ref)["HX-Redirect"] == reverse("web:resident_home")


def test_an_outage_that_lasts_ends_the_order(
    client: Client, sim: BankIdSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_page(client)
    sim.maintenance = True
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + bankid_views.MAX_ORDER_SECONDS + 1)
    response = poll(client, page.order_ref)
    assert response["HX-Retarget"] == "#bankid-order"
    assert RFA5 in response.content.decode()
