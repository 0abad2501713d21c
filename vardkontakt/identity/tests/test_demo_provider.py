"""The demo e-ID provider: who may log in through it, what a bad request gets, and the start-up rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from vardkontakt.conftest import Demo
from vardkontakt.identity.eid.registry import refuse_simulators_in_production
from vardkontakt.identity.session import METHOD_KEY, REALM_KEY
from vardkontakt.roles.actions import grant_role, revoke_role
from vardkontakt.roles.models import Role, RoleGrant

RESIDENT_DEMO = reverse("identity:demo_resident_login")
STAFF_DEMO = reverse("identity:demo_staff_login")
CANNOT_LOG_IN = "Den här personen kan inte logga in."
NO_ROLE = "Du har ingen behörighet i Vårdkontakt. Kontakta din lokala administratör."
PICK_ONE = "Välj en person i listan."


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def refused(client: Client, url: str, person: object, message: str) -> None:
    response = client.post(url, {} if person is None else {"person": person})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not is_logged_in(client)


# --- Who may log in ---------------------------------------------------------------------------------


def test_a_resident_logs_in_to_the_resident_realm(demo: Demo, client: Client) -> None:
    response = client.post(RESIDENT_DEMO, {"person": str(demo.resident("anna").pk)})
    assert response.status_code == 302 and response["Location"] == reverse("web:resident_home")
    assert client.session[REALM_KEY] == "resident"
    assert client.session[METHOD_KEY] == "demo"
    assert client.session["_auth_user_id"] == str(demo.resident("anna").user_id)


def test_a_member_with_a_role_logs_in_to_the_staff_realm(demo: Demo, client: Client) -> None:
    response = client.post(STAFF_DEMO, {"person": str(demo.member("sam").pk)})  # SUPPORT, a platform role
    assert response.status_code == 302 and response["Location"] == reverse("web:staff_home")
    assert client.session[REALM_KEY] == "staff"


def test_a_deceased_resident_cannot_log_in(demo: Demo, client: Client) -> None:
    gunnar = demo.resident("gunnar")
    gunnar.deceased = True
    gunnar.save(update_fields=["deceased"])
    refused(client, RESIDENT_DEMO, str(gunnar.pk), CANNOT_LOG_IN)


def test_an_inactive_resident_cannot_log_in(demo: Demo, client: Client) -> None:
    lars = demo.resident("lars")
    lars.user.is_active = False
    lars.user.save(update_fields=["is_active"])
    refused(client, RESIDENT_DEMO, str(lars.pk), CANNOT_LOG_IN)


def test_an_inactive_member_of_staff_cannot_log_in_even_with_a_role(demo: Demo, client: Client) -> None:
    maria = demo.member("maria")
    maria.user.is_active = False
    maria.user.save(update_fields=["is_active"])
    refused(client, STAFF_DEMO, str(maria.pk), NO_ROLE)


def test_staff_without_any_role_cannot_log_in(demo: Demo, client: Client) -> None:
    refused(client, STAFF_DEMO, str(demo.member("nils").pk), NO_ROLE)


def test_staff_whose_only_role_is_not_in_force_cannot_log_in(demo: Demo, client: Client) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    now = timezone.now()
    grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=now + timedelta(days=1))
    grant_role(
        lena,
        nils,
        Role.CASE_RECEIVER,
        unit=solna,
        valid_from=now - timedelta(days=9),
        valid_to=now - timedelta(days=1),
    )
    revoke_role(lena, grant_role(lena, nils, Role.LOG_REVIEWER, unit=solna).pk)
    assert RoleGrant.objects.filter(staff=nils).count() == 3
    refused(client, STAFF_DEMO, str(nils.pk), NO_ROLE)


def test_the_staff_list_shows_only_roles_in_force(demo: Demo, client: Client) -> None:
    lena, nils, solna = demo.member("lena"), demo.member("nils"), demo.unit("solna")
    grant_role(lena, nils, Role.CASE_HANDLER, unit=solna, valid_from=timezone.now() + timedelta(days=1))
    page = client.get(STAFF_DEMO).content.decode()
    row = page[page.index("Nils Nord") :]
    row = row[: row.index("</tr>")]
    assert "Ingen behörighet" in row
    assert "Ärendehanterare" not in row


def test_a_resident_cannot_log_in_as_staff_nor_staff_as_a_resident(demo: Demo, client: Client) -> None:
    refused(client, STAFF_DEMO, str(demo.resident("anna").pk), PICK_ONE)
    refused(client, RESIDENT_DEMO, str(demo.member("lena").pk), PICK_ONE)


@pytest.mark.parametrize(
    "person",
    [
        None,  # no field at all
        "",
        "   ",
        "not-a-uuid",
        "1 OR 1=1",
        "198701022389",  # a personnummer is not an id
        "\x00",
        "x" * 10_000,
        str(uuid.uuid4()),  # well formed, unknown
    ],
)
@pytest.mark.parametrize("url", [RESIDENT_DEMO, STAFF_DEMO])
def test_a_malformed_or_unknown_person_gets_a_clear_error(
    demo: Demo, client: Client, url: str, person: object
) -> None:
    refused(client, url, person, PICK_ONE)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [RESIDENT_DEMO, STAFF_DEMO])
def test_other_methods_are_refused(client: Client, url: str) -> None:
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405


# --- The provider switched off -------------------------------------------------------------------------


def test_a_disabled_provider_is_not_there(demo: Demo, client: Client, settings: Settings) -> None:
    settings.VK_EID_PROVIDERS = []
    for url, person in (
        (RESIDENT_DEMO, demo.resident("anna").pk),
        (STAFF_DEMO, demo.member("lena").pk),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"person": str(person)}).status_code == 404
        assert not is_logged_in(client)
    for url in (reverse("identity:login"), reverse("identity:staff_login")):
        response = client.get(url)
        assert response.status_code == 503
        assert "Inloggningen är inte tillgänglig" in response.content.decode()


# --- The start-up rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debug", "allow", "providers", "refused_with"),
    [
        (False, False, ["demo"], "demo"),
        (True, False, ["demo"], None),
        (False, True, ["demo"], None),
        (True, True, ["demo"], None),
        (False, False, [], None),
        (True, True, ["demo", "bankid-by-mail"], "bankid-by-mail"),
    ],
)
def test_refuse_simulators_in_production(
    debug: bool, allow: bool, providers: list[str], refused_with: str | None
) -> None:
    with override_settings(DEBUG=debug, VK_ALLOW_SIMULATORS=allow, VK_EID_PROVIDERS=providers):
        if refused_with is None:
            refuse_simulators_in_production()
        else:
            with pytest.raises(ImproperlyConfigured, match=refused_with):
                refuse_simulators_in_production()


def _test_keyring() -> str:
    """The fixed test ring from settings_test.py, as the environment carries it."""
    from vardkontakt import settings_test

    ring = settings_test._TEST_KEYRING
    assert json.loads(ring)["primary"] == "test1"
    return ring


def _manage_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VK_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="vardkontakt.settings",
        VK_DEBUG="0",
        VK_SECRET_KEY="production-like-secret-" + "p" * 50,
        VK_KEYRING=_test_keyring(),
        VK_EID_PROVIDERS="demo",
        VK_VAR_DIR=str(tmp_path),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_check_refuses_the_simulator_outside_debug(tmp_path: Path) -> None:
    result = _manage_check(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "simulator(s) demo are enabled but DEBUG is off" in result.stderr


def test_manage_check_passes_with_the_explicit_opt_in(tmp_path: Path) -> None:
    result = _manage_check(tmp_path, VK_ALLOW_SIMULATORS="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
