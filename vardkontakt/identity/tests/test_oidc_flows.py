"""Freja eID Plus and SITHS login through our views, against the local OpenID provider simulator.

The Django test client plays the browser on our side; an httpx client plays it on the simulator's
side (the authorization page), and our relying-party code reaches the simulator's back channel
(discovery, PAR, JWKS, token) through httpx.WSGITransport, exactly as it reaches a real provider."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from vardkontakt.conftest import Demo
from vardkontakt.identity.adapters import local_register
from vardkontakt.identity.eid import oidc
from vardkontakt.identity.login import STEP_UP_KEY
from vardkontakt.identity.session import AUTH_AT_KEY, METHOD_KEY, REALM_KEY
from vardkontakt.simulators.oidc import OidcSimulator
from vardkontakt.simulators.people import SimResident, SimStaff
from vardkontakt.web.demo import REGION_ORG, STAFF

SIMULATOR = "http://127.0.0.1:8010"
ANNA, LARS, GOSTA = "198701022389", "195801122655", "194501103297"
MARIA, NILS = f"SE{REGION_ORG}-M001", f"SE{REGION_ORG}-N001"
NO_ROLE = "Du har ingen behörighet i Vårdkontakt. Kontakta din lokala administratör."
PEOPLE = [ANNA, LARS, GOSTA, "201601022385", "199001012385", "197001239297", "194501128278"]


@dataclass
class Simulators:
    freja: OidcSimulator
    siths: OidcSimulator
    browser: httpx.Client  # the person's browser, on the simulator's pages


def _mount(sims: dict[str, OidcSimulator]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        for prefix, sim in sims.items():
            if environ.get("PATH_INFO", "").startswith(prefix + "/"):
                return sim(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


@pytest.fixture
def sims(demo: Demo, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulators]:
    settings.VK_EID_PROVIDERS = ["bankid", "freja", "siths"]
    settings.VK_FREJA_ISSUER = f"{SIMULATOR}/freja"
    settings.VK_SITHS_ISSUER = f"{SIMULATOR}/siths"
    settings.VK_FREJA_CLIENT_ID = settings.VK_SITHS_CLIENT_ID = "vardkontakt"
    settings.VK_FREJA_CLIENT_SECRET = settings.VK_SITHS_CLIENT_SECRET = "simulator-secret"
    residents = [
        SimResident(person.personnummer, person.given_name, person.family_name)
        for person in local_register().people()
    ]
    staff = [SimStaff(f"SE{REGION_ORG}-{spec.hsa_suffix}", spec.given, spec.family) for spec in STAFF]
    clients = {"vardkontakt": "simulator-secret"}
    freja = OidcSimulator(
        prefix="/freja", flavour="freja", issuer_base=SIMULATOR, people=residents, clients=clients
    )
    siths = OidcSimulator(
        prefix="/siths", flavour="siths", issuer_base=SIMULATOR, staff=staff, clients=clients
    )
    app = _mount({"/freja": freja, "/siths": siths})
    monkeypatch.setattr(oidc, "transport", httpx.WSGITransport(app=app))
    oidc.clear_cache()
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=SIMULATOR) as browser:
        yield Simulators(freja, siths, browser)
    oidc.clear_cache()


def start(client: Client, provider: str) -> Any:
    return client.get(reverse(f"oidc:{provider}_start"))


def authorize_page(sims: Simulators, location: str) -> httpx.Response:
    assert location.startswith(f"{SIMULATOR}/")
    page = sims.browser.get(location)
    assert page.status_code == 200, page.text
    return page


def decide(
    sims: Simulators,
    provider: str,
    page: httpx.Response,
    *,
    person: str = "",
    level: str,
    action: str = "approve",
) -> str:
    """Answer the simulator's page; returns where it sends the browser back to (our callback)."""
    match = re.search(r'name="request" value="([^"]+)"', page.text)
    assert match is not None
    form = {"request": match.group(1), "person": person, "level": level, "action": action}
    answer = sims.browser.post(f"/{provider}/authorize", data=form)
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def back_to_us(client: Client, location: str) -> Any:
    """The browser follows the provider's redirect to our callback."""
    parts = urlsplit(location)
    assert parts.netloc == "testserver"
    return client.get(f"{parts.path}?{parts.query}")


def log_in(client: Client, sims: Simulators, provider: str, person: str, level: str) -> Any:
    started = start(client, provider)
    assert started.status_code == 302, started.content[:500]
    page = authorize_page(sims, started["Location"])
    return back_to_us(client, decide(sims, provider, page, person=person, level=level))


def logged_in_user(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def assert_no_personal_numbers(text: str) -> None:
    for number in PEOPLE:
        assert number not in text
        assert f"{number[:8]}-{number[8:]}" not in text


# --- Complete logins --------------------------------------------------------------------------------


def test_a_resident_logs_in_with_freja_eid_plus(sims: Simulators, demo: Demo, client: Client) -> None:
    started = start(client, "freja")
    assert started.status_code == 302
    location = started["Location"]
    assert location.startswith(f"{SIMULATOR}/freja/authorize?")
    # The authorization request was pushed (PAR): the URL carries only the client and a handle.
    assert set(parse_qs(urlsplit(location).query)) == {"client_id", "request_uri"}
    page = authorize_page(sims, location)
    callback = decide(sims, "freja", page, person=ANNA, level="PLUS")
    assert urlsplit(callback).path == reverse("oidc:freja_callback")
    assert set(parse_qs(urlsplit(callback).query)) == {"code", "state"}
    assert_no_personal_numbers(callback)
    response = back_to_us(client, callback)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:resident_home")
    assert logged_in_user(client) == str(demo.resident("anna").user_id)
    assert client.session[REALM_KEY] == "resident"
    assert client.session[METHOD_KEY] == "freja"
    assert not any(key.startswith("vk_oidc:") for key, _value in client.session.items())


def test_a_member_of_staff_logs_in_with_siths(sims: Simulators, demo: Demo, client: Client) -> None:
    response = log_in(client, sims, "siths", MARIA, "loa3")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:staff_home")
    assert logged_in_user(client) == str(demo.member("maria").user_id)
    assert client.session[REALM_KEY] == "staff"
    assert client.session[METHOD_KEY] == "siths"


def test_siths_at_loa4_is_accepted(sims: Simulators, demo: Demo, client: Client) -> None:
    response = log_in(client, sims, "siths", MARIA, "loa4")
    assert response.status_code == 302 and response["Location"] == reverse("web:staff_home")


def test_the_siths_request_asks_for_loa3_or_higher(sims: Simulators, demo: Demo, client: Client) -> None:
    started = start(client, "siths")
    handle = parse_qs(urlsplit(started["Location"]).query)["request_uri"][0].rsplit(":", 1)[1]
    pushed = sims.siths._pushed[handle].params
    assert pushed["acr_values"].split() == [oidc.LOA3, oidc.LOA4]
    assert pushed["code_challenge_method"] == "S256" and "login_hint" not in pushed


# --- Too low a level ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["EXTENDED", "BASIC"])
def test_freja_below_plus_is_refused(sims: Simulators, client: Client, level: str) -> None:
    response = log_in(client, sims, "freja", ANNA, level)
    assert response.status_code == 403
    content = response.content.decode()
    assert "Du behöver Freja eID Plus för att logga in." in content
    assert "uppgradera till Freja eID Plus" in content
    assert logged_in_user(client) is None
    assert_no_personal_numbers(content)


def test_siths_at_loa2_is_refused(sims: Simulators, client: Client) -> None:
    response = log_in(client, sims, "siths", MARIA, "loa2")
    assert response.status_code == 403
    assert "tillitsnivå 3 eller högre" in response.content.decode()
    assert logged_in_user(client) is None


# --- Who may log in (identity.login's rules, through these views) ---------------------------------------


def test_staff_without_a_role_in_force_is_refused(sims: Simulators, client: Client) -> None:
    response = log_in(client, sims, "siths", NILS, "loa3")
    assert response.status_code == 403
    assert NO_ROLE in response.content.decode()
    assert logged_in_user(client) is None


def test_an_hsa_id_unknown_to_us_is_refused(sims: Simulators, client: Client) -> None:
    started = start(client, "siths")
    page = authorize_page(sims, started["Location"])
    handle = re.search(r'name="request" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = sims.browser.post(
        "/siths/authorize",
        data={"request": handle, "other": "SE2321000016-X999", "level": "loa3", "action": "approve"},
    )
    response = back_to_us(client, answer.headers["location"])
    assert response.status_code == 403 and NO_ROLE in response.content.decode()


def test_a_deceased_person_is_refused(sims: Simulators, client: Client) -> None:
    response = log_in(client, sims, "freja", GOSTA, "PLUS")
    assert response.status_code == 403
    content = response.content.decode()
    assert "Den här personen kan inte logga in." in content
    assert_no_personal_numbers(content)
    assert logged_in_user(client) is None


# --- State, replay and cancel ------------------------------------------------------------------------


def test_a_callback_with_another_state_is_refused(sims: Simulators, client: Client) -> None:
    started = start(client, "freja")
    callback = decide(sims, "freja", authorize_page(sims, started["Location"]), person=ANNA, level="PLUS")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = client.get(reverse("oidc:freja_callback"), {"code": code, "state": "forged-state"})
    assert response.status_code == 400
    assert "Inloggningen kunde inte slutföras." in response.content.decode()
    assert logged_in_user(client) is None
    # The started login is used up: the genuine answer does not work after a forged one.
    assert back_to_us(client, callback).status_code == 400
    assert logged_in_user(client) is None


def test_a_callback_in_another_browser_is_refused(sims: Simulators, client: Client) -> None:
    started = start(client, "freja")
    callback = decide(sims, "freja", authorize_page(sims, started["Location"]), person=ANNA, level="PLUS")
    victim = Client()  # someone sent this browser the attacker's callback link (login CSRF)
    assert back_to_us(victim, callback).status_code == 400
    assert logged_in_user(victim) is None


def test_a_replayed_callback_is_refused(sims: Simulators, demo: Demo, client: Client) -> None:
    started = start(client, "freja")
    callback = decide(sims, "freja", authorize_page(sims, started["Location"]), person=ANNA, level="PLUS")
    assert back_to_us(client, callback).status_code == 302
    client.post(reverse("identity:logout"))
    assert logged_in_user(client) is None
    replayed = back_to_us(client, callback)
    assert replayed.status_code == 400
    assert logged_in_user(client) is None


def test_a_callback_for_the_other_provider_is_refused(sims: Simulators, client: Client) -> None:
    started = start(client, "freja")
    callback = decide(sims, "freja", authorize_page(sims, started["Location"]), person=ANNA, level="PLUS")
    response = client.get(reverse("oidc:siths_callback") + "?" + urlsplit(callback).query)
    assert response.status_code == 400 and logged_in_user(client) is None


def test_cancel_at_the_provider(sims: Simulators, client: Client, settings: Settings) -> None:
    started = start(client, "freja")
    callback = decide(sims, "freja", authorize_page(sims, started["Location"]), level="PLUS", action="cancel")
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    response = back_to_us(client, callback)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Inloggningen avbröts" in content and "Du avbröt inloggningen." in content
    assert reverse("identity:login") in content  # try again, or another way
    assert logged_in_user(client) is None


# --- Rate limiting -----------------------------------------------------------------------------------


def test_failed_and_cancelled_logins_are_limited(
    sims: Simulators, client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.VK_LOGIN_FAILURES_PER_SESSION = 3
    caplog.set_level(logging.INFO)
    started = start(client, "freja")
    page = authorize_page(sims, started["Location"])
    back_to_us(client, decide(sims, "freja", page, level="PLUS", action="cancel"))
    log_in(client, sims, "freja", ANNA, "EXTENDED")
    client.get(reverse("oidc:freja_callback"), {"code": "x", "state": "y"})
    limited = start(client, "freja")
    assert limited.status_code == 429
    assert "För många inloggningsförsök" in limited.content.decode()
    assert start(client, "siths").status_code == 429  # per session, whatever the method
    reasons = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login failed")]
    assert [re.search(r"reason=(\S+)", line).group(1) for line in reasons] == [  # type: ignore[union-attr]
        "cancelled",
        "freja_level",
        "state_mismatch",
    ]


def test_refused_logins_count_too(sims: Simulators, client: Client, settings: Settings) -> None:
    settings.VK_LOGIN_FAILURES_PER_SESSION = 1
    assert log_in(client, sims, "siths", NILS, "loa3").status_code == 403
    assert start(client, "siths").status_code == 429


# --- Step-up -----------------------------------------------------------------------------------------


def begin_step_up(client: Client, next_url: str) -> None:
    session = client.session
    session[STEP_UP_KEY] = {"next": next_url}
    session.save()


def test_a_resident_step_up(sims: Simulators, demo: Demo, client: Client) -> None:
    assert log_in(client, sims, "freja", ANNA, "PLUS").status_code == 302
    session = client.session
    session[AUTH_AT_KEY] -= 3600
    session.save()
    before = client.session[AUTH_AT_KEY]
    next_url = reverse("identity:settings")
    begin_step_up(client, next_url)
    started = start(client, "freja")
    assert_no_personal_numbers(started["Location"])
    page = authorize_page(sims, started["Location"])
    # The provider was asked for the logged-in person (login_hint, pushed over the back channel).
    assert re.search(rf'value="{ANNA}" checked', page.text)
    response = back_to_us(client, decide(sims, "freja", page, person=ANNA, level="PLUS"))
    assert response.status_code == 302 and response["Location"] == next_url
    assert client.session[AUTH_AT_KEY] > before
    assert STEP_UP_KEY not in client.session
    assert logged_in_user(client) == str(demo.resident("anna").user_id)


def test_a_resident_step_up_as_another_person_is_refused(
    sims: Simulators, demo: Demo, client: Client
) -> None:
    assert log_in(client, sims, "freja", ANNA, "PLUS").status_code == 302
    session = client.session
    session[AUTH_AT_KEY] -= 3600
    session.save()
    before = client.session[AUTH_AT_KEY]
    begin_step_up(client, reverse("identity:settings"))
    started = start(client, "freja")
    page = authorize_page(sims, started["Location"])
    response = back_to_us(client, decide(sims, "freja", page, person=LARS, level="PLUS"))
    assert response.status_code == 403
    content = response.content.decode()
    assert "Du legitimerade dig som en annan person." in content
    assert reverse("identity:step_up") in content
    assert_no_personal_numbers(content)
    # Still Anna's session, and still without a recent authentication.
    assert logged_in_user(client) == str(demo.resident("anna").user_id)
    assert client.session[AUTH_AT_KEY] == before
    assert client.session[STEP_UP_KEY] == {"next": reverse("identity:settings")}


def test_a_staff_step_up(sims: Simulators, demo: Demo, client: Client) -> None:
    assert log_in(client, sims, "siths", MARIA, "loa3").status_code == 302
    begin_step_up(client, reverse("web:staff_home"))
    started = start(client, "siths")
    page = authorize_page(sims, started["Location"])
    assert re.search(rf'value="{MARIA}" checked', page.text)
    response = back_to_us(client, decide(sims, "siths", page, person=MARIA, level="loa3"))
    assert response.status_code == 302 and response["Location"] == reverse("web:staff_home")


# --- Privacy, availability and configuration -----------------------------------------------------------


def test_no_personal_number_in_any_log_line(
    sims: Simulators, demo: Demo, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log_in(client, sims, "freja", LARS, "EXTENDED")
    log_in(client, sims, "freja", GOSTA, "PLUS")
    log_in(client, sims, "freja", ANNA, "PLUS")
    assert caplog.records
    for record in caplog.records:
        assert_no_personal_numbers(record.getMessage())


def test_an_unavailable_provider(sims: Simulators, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(oidc, "transport", httpx.MockTransport(refuse))
    oidc.clear_cache()
    response = start(client, "freja")
    assert response.status_code == 502
    assert "Inloggningstjänsten svarar inte just nu." in response.content.decode()


def test_a_provider_that_is_not_offered(sims: Simulators, client: Client, settings: Settings) -> None:
    settings.VK_EID_PROVIDERS = ["bankid"]
    assert start(client, "freja").status_code == 404
    assert client.get(reverse("oidc:siths_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_start_and_callback_answer_get_only(sims: Simulators, client: Client) -> None:
    assert client.post(reverse("oidc:freja_start")).status_code == 405
    assert client.post(reverse("oidc:freja_callback")).status_code == 405
