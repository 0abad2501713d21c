"""The web shell's security behaviour: headers on every response, and error pages that leak nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django import Settings

from vardkontakt import urls as root_urls
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.session import SEEN_AT_KEY
from vardkontakt.web import views as web_views

PNR = "198701022389"  # Anna Andersson's (official test) personnummer
LEAKY_PATH = f"/mina-sidor/{PNR}/?pnr=19870102-2389&namn=Anna+Andersson"
TECHNICAL = [
    "Traceback",
    "URLconf",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "Request Method",
]


def assert_security_headers(response: HttpResponseBase, what: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{what}: no Content-Security-Policy"
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives.get("default-src") == "'self'", what
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("object-src") == "'none'", what
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, what
    assert response.get("X-Content-Type-Options") == "nosniff", what
    assert response.get("X-Frame-Options") == "DENY", what
    assert response.get("Referrer-Policy") == "same-origin", what


def assert_no_store(response: HttpResponseBase, what: str) -> None:
    assert "no-store" in response.get("Cache-Control", ""), what


def assert_leaks_nothing(body: str, what: str) -> None:
    for secret in (PNR, "19870102-2389", "870102-2389", "namn=", "Anna Andersson"):
        assert secret not in body, f"{what} echoes {secret!r}"
    for marker in TECHNICAL:
        assert marker not in body, f"{what} shows {marker!r}"
    assert django_settings.SECRET_KEY not in body


def assert_swedish(body: str) -> None:
    assert '<html lang="sv"' in body


# --- Headers ------------------------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    anonymous = Client()
    resident = log_in_resident(Client(), demo.resident("anna"))
    staff = log_in_staff(Client(), demo.member("maria"))
    strict = Client(enforce_csrf_checks=True)
    responses: dict[str, HttpResponseBase] = {
        "home": anonymous.get(reverse("web:home")),
        "login redirect": anonymous.get(reverse("identity:login")),
        "login": anonymous.get(reverse("identity:login")),
        "staff login": anonymous.get(reverse("identity:staff_login")),
        "anonymous to my pages": anonymous.get(reverse("web:resident_home")),
        "anonymous 404": anonymous.get(LEAKY_PATH),
        "405": anonymous.get(reverse("identity:logout")),
        "csrf failure": strict.post(reverse("identity:logout")),
        "static file": anonymous.get("/static/vk/app.css"),
        "my pages": resident.get(reverse("web:resident_home")),
        "resident 404": resident.get(LEAKY_PATH),
        "wrong realm": resident.get(reverse("web:staff_home")),
        "staff tool": staff.get(reverse("web:staff_home")),
    }
    # A session that has run out is answered by a middleware high up in the stack.
    session = staff.session
    session[SEEN_AT_KEY] = int(time.time()) - 24 * 3600
    session.save()
    responses["timed out"] = staff.get(reverse("web:staff_home"))
    responses["logout"] = resident.post(reverse("identity:logout"))
    static = responses["static file"]
    assert static.status_code == 200
    static.close()  # WhiteNoise streams the file; closing the response closes it
    assert responses["timed out"].status_code == 302
    for what, response in responses.items():
        assert_security_headers(response, what)


def test_the_500_page_carries_the_security_headers(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_views, "render", _boom)
    response = Client(raise_request_exception=False).get(reverse("web:home"))
    assert response.status_code == 500
    assert_security_headers(response, "500")


def test_authenticated_pages_are_not_stored(demo: Demo) -> None:
    resident = log_in_resident(Client(), demo.resident("anna"))
    staff = log_in_staff(Client(), demo.member("lena"))
    for what, response in {
        "my pages": resident.get(reverse("web:resident_home")),
        "home while logged in": resident.get(reverse("web:home")),
        "resident 404": resident.get(LEAKY_PATH),
        "wrong realm": resident.get(reverse("web:staff_home")),
        "staff tool": staff.get(reverse("web:staff_home")),
        "staff 404": staff.get("/vardpersonal/arenden/123/"),
    }.items():
        assert response.status_code in {200, 403, 404}, what
        assert_no_store(response, what)


def test_hsts_on_a_secure_request(demo: Demo, settings: Settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    secure = Client().get(reverse("web:home"), secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in Client().get(reverse("web:home"))  # plain HTTP: never


def test_no_hsts_when_it_is_not_configured(demo: Demo, settings: Settings) -> None:
    settings.SECURE_HSTS_SECONDS = 0
    assert "Strict-Transport-Security" not in Client().get(reverse("web:home"), secure=True)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline script"),
    (re.compile(r"<style\b", re.IGNORECASE), "a style element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an event handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


def test_our_pages_need_nothing_that_the_policy_forbids(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSP has no 'unsafe-inline'; a page that relied on inline code or style would break."""
    anonymous = Client()
    resident = log_in_resident(Client(), demo.resident("anna"))
    resident.post(reverse("identity:act_for"), {"child": str(demo.resident("elsa").pk)})
    staff = log_in_staff(Client(), demo.member("lena"))
    pages = {
        "home": anonymous.get(reverse("web:home")),
        "login": anonymous.get(reverse("identity:login")),
        "staff login": anonymous.get(reverse("identity:staff_login")),
        "404": anonymous.get(LEAKY_PATH),
        "csrf failure": Client(enforce_csrf_checks=True).post(reverse("identity:logout")),
        "my pages": resident.get(reverse("web:resident_home")),
        "wrong realm": resident.get(reverse("web:staff_home")),
        "staff tool": staff.get(reverse("web:staff_home")),
    }
    monkeypatch.setattr(web_views, "render", _boom)
    pages["500"] = Client(raise_request_exception=False).get(reverse("web:home"))
    for what, response in pages.items():
        body = response.content.decode()
        for pattern, name in INLINE:
            assert not pattern.search(body), f"{what} has {name}"


# --- Error pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_the_404_page_leaks_nothing_and_is_swedish(demo: Demo, who: str) -> None:
    client = Client() if who == "anonymous" else log_in_resident(Client(), demo.resident("anna"))
    response = client.get(LEAKY_PATH)
    assert response.status_code == 404
    body = response.content.decode()
    assert_swedish(body)
    assert "Sidan hittades inte" in body
    assert_leaks_nothing(body, "404")


def test_a_404_raised_by_a_view_leaks_nothing_either(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    response = client.post(f"{reverse('identity:act_for')}?pnr={PNR}", {"child": PNR})
    assert response.status_code == 404
    assert_leaks_nothing(response.content.decode(), "404 from a view")


def test_the_csrf_failure_page_leaks_nothing_and_is_swedish(demo: Demo) -> None:
    # The demo login is itself a POST that would need the token: log in with a lenient client, then
    # carry the session over to one that checks CSRF.
    anna = log_in_resident(Client(), demo.resident("anna"))
    client = Client(enforce_csrf_checks=True)
    client.cookies = anna.cookies
    response = client.post(f"/mina-sidor/agera-for/?pnr={PNR}", {"child": str(demo.resident("elsa").pk)})
    assert response.status_code == 403
    body = response.content.decode()
    assert_swedish(body)
    assert "Formuläret hade gått ut" in body
    assert_leaks_nothing(body, "CSRF failure")
    for reason in ("CSRF", "csrf", "Referer", "Origin", "cookie not set", "token"):
        assert reason not in body.replace("csrfmiddlewaretoken", ""), reason
    assert_no_store(response, "CSRF failure while logged in")


def _boom(*args: Any, **kwargs: Any) -> HttpResponse:
    raise RuntimeError(f"the database said something about {PNR}")


def test_the_500_handler_returns_the_static_error_page(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    assert root_urls.handler500 is web_views.error_500
    expected = (django_settings.BASE_DIR / "vardkontakt/web/templates/web/error_500.html").read_text()
    monkeypatch.setattr(web_views, "render", _boom)
    resident = log_in_resident(Client(raise_request_exception=False), demo.resident("anna"))
    response = resident.get(reverse("web:home"))
    assert response.status_code == 500
    body = response.content.decode()
    assert body.strip() == expected.strip()
    assert "Ett tekniskt fel har uppstått" in body
    assert_swedish(body)
    assert_leaks_nothing(body, "500")
    assert "RuntimeError" not in body and "the database said" not in body


def test_the_400_and_403_handlers_are_ours(demo: Demo, rf: RequestFactory) -> None:
    handlers: dict[str, Callable[..., HttpResponse]] = {
        "400": root_urls.handler400,
        "403": root_urls.handler403,
    }
    for status, handler in handlers.items():
        request = rf.get(LEAKY_PATH)
        request.user, request.session = AnonymousUser(), SessionStore()
        response = handler(request, Exception(f"detail about {PNR}"))
        assert response.status_code == int(status)
        body = response.content.decode()
        assert_swedish(body)
        assert_leaks_nothing(body, status)
