"""Sessions: two realms that do not mix, a new key at login, logout, idle and absolute timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.session import (
    ACTING_FOR_KEY,
    AUTH_AT_KEY,
    METHOD_KEY,
    REALM_KEY,
    SEEN_AT_KEY,
    Realm,
    start_session,
)

RESIDENT_HOME = reverse("web:resident_home")
STAFF_HOME = reverse("web:staff_home")
LOGIN = reverse("identity:login")
STAFF_LOGIN = reverse("identity:staff_login")
LOGOUT = reverse("identity:logout")
ACT_FOR = reverse("identity:act_for")
IDLE_MESSAGE = "Du har loggats ut eftersom du varit inaktiv för länge."
ABSOLUTE_MESSAGE = "Du har loggats ut eftersom du varit inloggad för länge. Logga in igen."


class Clock:
    """Moves ``time.time`` forward for the code under test (the session middleware reads it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def session_key(client: Client) -> str:
    return client.cookies["vk_session"].value


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def edit_session(client: Client, change: Callable[[dict[str, object]], object]) -> None:
    session = client.session
    values = dict(session.items())
    change(values)
    session.clear()
    session.update(values)
    session.save()


# --- Anonymous visitors ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "login"),
    [
        ("get", RESIDENT_HOME, LOGIN),
        ("get", STAFF_HOME, STAFF_LOGIN),
        ("post", ACT_FOR, LOGIN),
    ],
)
def test_anonymous_visitors_are_sent_to_the_right_login(
    client: Client, method: str, url: str, login: str
) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == login


# --- The two realms --------------------------------------------------------------------------------


def test_a_resident_session_cannot_open_the_staff_tool(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    response = client.get(STAFF_HOME)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Du saknar behörighet" in body
    assert "Vårdpersonalens verktyg kräver inloggning med SITHS" in body
    assert "Dina behörigheter" not in body  # nothing of the staff page
    assert "Anna" not in body and "1987" not in body  # nothing of the resident either
    assert is_logged_in(client)  # the resident's own session goes on
    assert client.get(RESIDENT_HOME).status_code == 200


def test_a_staff_session_cannot_open_my_pages(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Du är inloggad som vårdpersonal" in body
    assert "Dina barn" not in body and "Födelsedatum" not in body
    assert "Maria" not in body and demo.member("maria").hsa_id not in body
    response = client.post(ACT_FOR, {"child": str(demo.resident("elsa").pk)})
    assert response.status_code == 403
    assert ACTING_FOR_KEY not in client.session
    assert client.get(STAFF_HOME).status_code == 200


def test_a_session_whose_realm_does_not_fit_the_user_is_ended(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    edit_session(client, lambda values: values.update({REALM_KEY: "staff"}))
    response = client.get(STAFF_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not is_logged_in(client)


@pytest.mark.parametrize("realm", [None, "", "admin", 1])
def test_a_session_with_no_valid_realm_is_ended(demo: Demo, realm: object) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    edit_session(client, lambda values: values.update({REALM_KEY: realm}))
    old_key = session_key(client)
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not is_logged_in(client)
    assert not Session.objects.filter(session_key=old_key).exists()
    assert "Du har loggats ut" in client.get(LOGIN, follow=True).content.decode()


def test_a_login_that_bypassed_the_e_id_flow_is_ended(demo: Demo) -> None:
    """``force_login`` writes no realm and no timestamps: such a session is not accepted."""
    client = Client()
    client.force_login(demo.member("maria").user)
    response = client.get(STAFF_HOME)
    assert response.status_code == 302 and response["Location"] == STAFF_LOGIN
    assert not is_logged_in(client)


def test_a_deactivated_users_session_is_flushed(demo: Demo) -> None:
    anna = demo.resident("anna")
    client = log_in_resident(Client(), anna)
    anna.user.is_active = False
    anna.user.save(update_fields=["is_active"])
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert REALM_KEY not in client.session
    # Reactivating the user does not bring the old session back.
    anna.user.is_active = True
    anna.user.save(update_fields=["is_active"])
    assert client.get(RESIDENT_HOME)["Location"] == LOGIN


def test_a_resident_registered_deceased_mid_session_is_logged_out(demo: Demo) -> None:
    gunnar = demo.resident("gunnar")
    client = log_in_resident(Client(), gunnar)
    assert client.get(RESIDENT_HOME).status_code == 200
    gunnar.deceased = True
    gunnar.save(update_fields=["deceased"])
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not is_logged_in(client)


def test_a_member_without_a_role_in_force_is_logged_out_by_the_staff_tool(demo: Demo) -> None:
    """The staff tool asks on every request; what a revocation does is tested in roles/tests."""
    client = log_in_staff(Client(), demo.member("greta"))
    demo.member("greta").grants.update(valid_from=timezone.now() + timedelta(days=1))
    response = client.get(STAFF_HOME)
    assert response.status_code == 302 and response["Location"] == STAFF_LOGIN
    assert not is_logged_in(client)
    page = client.get(STAFF_LOGIN, follow=True).content.decode()
    assert "Du har inte längre någon behörighet i Vårdkontakt" in page


# --- Login and logout ------------------------------------------------------------------------------


def test_the_session_key_changes_at_login_and_nothing_from_before_survives(demo: Demo) -> None:
    """start_session, which every e-ID provider ends in, discards whatever session came before."""
    before_session = SessionStore()
    before_session["planted"] = "before login"
    before_session.save()
    before = before_session.session_key
    request = RequestFactory().get("/")
    request.session = SessionStore(session_key=before)
    request.user = AnonymousUser()
    start_session(request, demo.resident("anna").user, Realm.RESIDENT, "bankid")
    request.session.save()
    after = request.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    stored = SessionStore(session_key=after)
    assert "planted" not in stored
    assert stored[REALM_KEY] == "resident"
    assert stored[METHOD_KEY] == "bankid"
    assert isinstance(stored[AUTH_AT_KEY], int)


def test_logging_in_to_the_other_realm_replaces_the_whole_session(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    client.post(ACT_FOR, {"child": str(demo.resident("elsa").pk)})
    assert ACTING_FOR_KEY in client.session
    resident_key = session_key(client)
    log_in_staff(client, demo.member("maria"))
    assert session_key(client) != resident_key
    assert not Session.objects.filter(session_key=resident_key).exists()
    assert ACTING_FOR_KEY not in client.session
    assert client.session[REALM_KEY] == "staff"
    assert client.get(RESIDENT_HOME).status_code == 403


def test_logout_is_post_only(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    response = client.get(LOGOUT)
    assert response.status_code == 405
    assert is_logged_in(client)
    assert client.get(RESIDENT_HOME).status_code == 200


def test_logout_clears_the_whole_session(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    client.post(ACT_FOR, {"child": str(demo.resident("elsa").pk)})
    old_key = session_key(client)
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert dict(client.session.items()) == {}
    assert not Session.objects.filter(session_key=old_key).exists()
    assert "Du är utloggad." in client.get(reverse("web:home")).content.decode()
    assert client.get(RESIDENT_HOME)["Location"] == LOGIN


def test_staff_logout_too(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("lena"))
    client.post(LOGOUT)
    assert not is_logged_in(client)
    assert client.get(STAFF_HOME)["Location"] == STAFF_LOGIN


# --- Timeouts ----------------------------------------------------------------------------------------


def test_idle_timeout_ends_the_session_and_says_why(demo: Demo, settings: Settings) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    idle = settings.VK_SESSION_IDLE_SECONDS
    edit_session(client, lambda values: values.update({SEEN_AT_KEY: int(time.time()) - idle - 1}))
    old_key = session_key(client)
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not is_logged_in(client)
    assert not Session.objects.filter(session_key=old_key).exists()
    assert IDLE_MESSAGE in client.get(LOGIN, follow=True).content.decode()


def test_idle_timeout_of_a_staff_session_leads_to_the_staff_login(demo: Demo, clock: Clock) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    clock.advance(15 * 60 + 1)
    response = client.get(STAFF_HOME)
    assert response.status_code == 302 and response["Location"] == STAFF_LOGIN
    assert not is_logged_in(client)
    assert IDLE_MESSAGE in client.get(STAFF_LOGIN, follow=True).content.decode()


def test_absolute_timeout_ends_even_an_active_session(demo: Demo, settings: Settings) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    now = int(time.time())
    edit_session(
        client,
        lambda values: values.update(
            {AUTH_AT_KEY: now - settings.VK_SESSION_ABSOLUTE_SECONDS - 1, SEEN_AT_KEY: now}
        ),
    )
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not is_logged_in(client)
    assert ABSOLUTE_MESSAGE in client.get(LOGIN, follow=True).content.decode()


def test_activity_keeps_a_session_alive_until_the_absolute_limit(demo: Demo, clock: Clock) -> None:
    """Defaults: 15 minutes idle, 8 hours in all. A request every ten minutes keeps it going."""
    client = log_in_resident(Client(), demo.resident("anna"))
    for _ in range(47):  # 470 minutes
        clock.advance(10 * 60)
        assert client.get(RESIDENT_HOME).status_code == 200
    clock.advance(10 * 60 + 1)  # 480 minutes and a second
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert ABSOLUTE_MESSAGE in client.get(LOGIN, follow=True).content.decode()


def test_the_idle_setting_is_honoured(demo: Demo, clock: Clock, settings: Settings) -> None:
    settings.VK_SESSION_IDLE_SECONDS = 120
    client = log_in_resident(Client(), demo.resident("anna"))
    clock.advance(110)
    assert client.get(RESIDENT_HOME).status_code == 200  # within 120 s; the request counts as activity
    clock.advance(110)
    assert client.get(RESIDENT_HOME).status_code == 200
    clock.advance(121)
    assert client.get(RESIDENT_HOME).status_code == 302
    assert not is_logged_in(client)


def test_the_absolute_setting_is_honoured(demo: Demo, clock: Clock, settings: Settings) -> None:
    settings.VK_SESSION_ABSOLUTE_SECONDS = 600
    client = log_in_resident(Client(), demo.resident("anna"))
    for _ in range(5):
        clock.advance(115)
        assert client.get(RESIDENT_HOME).status_code == 200  # 575 s in all
    clock.advance(30)
    response = client.get(RESIDENT_HOME)
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_a_session_without_timestamps_is_ended(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    edit_session(client, lambda values: (values.pop(AUTH_AT_KEY), values.pop(SEEN_AT_KEY)))
    assert client.get(RESIDENT_HOME).status_code == 302
    assert not is_logged_in(client)
