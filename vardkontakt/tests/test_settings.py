"""Start-up with settings from the environment: a bad value stops the process with a message naming it.

Each case starts a fresh Python process with ``vardkontakt.settings`` (not the test settings) and an
environment made here from nothing, as a deployment would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from django.conf import settings
from django.db import connection

from vardkontakt.crypto.keyring import generate_keyring_json
from vardkontakt.env import database_from_url

SECRET = "production-secret-" + "s" * 50
KEYRING = generate_keyring_json("2026-11")


def start(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = list(args) or ["-c", "import django; django.setup(); print('started')"]
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "vardkontakt.settings",
        "VK_VAR_DIR": str(tmp_path / "var"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, *command],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "VK_DEBUG": "0",
        "VK_SECRET_KEY": SECRET,
        "VK_KEYRING": KEYRING,
        "VK_ALLOWED_HOSTS": "vardkontakt.example",
        "VK_EID_PROVIDERS": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for key, value in changes.items():  # None: leave the variable out
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr[-2000:]


def test_a_production_environment_starts_and_passes_the_deployment_check(tmp_path: Path) -> None:
    started = start(tmp_path, **production(tmp_path))
    assert started.returncode == 0, started.stderr[-2000:]
    assert "started" in started.stdout
    check = start(
        tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **production(tmp_path)
    )
    assert check.returncode == 0, check.stdout + check.stderr[-2000:]


def test_a_key_ring_in_a_file_starts(tmp_path: Path) -> None:
    ring_file = tmp_path / "keyring.json"
    ring_file.write_text(KEYRING)
    result = start(tmp_path, **production(tmp_path, VK_KEYRING=None, VK_KEYRING_FILE=str(ring_file)))
    assert result.returncode == 0, result.stderr[-2000:]


def test_debug_starts_with_nothing_set_and_makes_a_development_key_ring(tmp_path: Path) -> None:
    result = start(tmp_path, VK_DEBUG="1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "var" / "keyring.dev.json").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://vk@db.example/vardkontakt", "DATABASE_URL has the unsupported scheme 'mysql'"),
        ("oracle://vk@db.example/vardkontakt", "DATABASE_URL has the unsupported scheme 'oracle'"),
        ("/var/lib/vardkontakt.sqlite3", "DATABASE_URL has the unsupported scheme '(none)'"),
    ],
)
def test_an_unknown_database_url_scheme(tmp_path: Path, url: str, message: str) -> None:
    assert_refused(start(tmp_path, **production(tmp_path, DATABASE_URL=url)), message)


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:", "postgres://db.example:5432", "postgres://vk:pw@db.example/"]
)
def test_a_database_url_without_a_database(tmp_path: Path, url: str) -> None:
    assert_refused(
        start(tmp_path, **production(tmp_path, DATABASE_URL=url)), "DATABASE_URL names no database"
    )


def test_a_database_url_that_cannot_be_read_does_not_show_the_password(tmp_path: Path) -> None:
    url = "postgres://vk:Hemligt-l0senord@db.example:fem/vardkontakt"
    result = start(tmp_path, **production(tmp_path, DATABASE_URL=url))
    assert_refused(result, "DATABASE_URL cannot be read")
    assert "Hemligt-l0senord" not in result.stderr + result.stdout


@pytest.mark.parametrize("value", ["maybe", "2", "ja", "True!"])
def test_a_debug_flag_that_is_not_a_boolean(tmp_path: Path, value: str) -> None:
    result = start(tmp_path, **production(tmp_path, VK_DEBUG=value))
    assert_refused(result, f"VK_DEBUG={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def test_no_secret_key_with_debug_off(tmp_path: Path) -> None:
    result = start(tmp_path, **production(tmp_path, VK_SECRET_KEY=None))
    assert_refused(result, "The environment variable VK_SECRET_KEY must be set.")


@pytest.mark.parametrize("value", ["", "short", "x" * 49])
def test_a_short_secret_key_with_debug_off(tmp_path: Path, value: str) -> None:
    result = start(tmp_path, **production(tmp_path, VK_SECRET_KEY=value))
    assert_refused(result, "VK_SECRET_KEY must be at least 50 characters long.")
    if value:
        assert value not in result.stderr


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ("{", "Key ring from VK_KEYRING is not valid JSON"),
        ('{"primary": "k1"}', "Key ring from VK_KEYRING lacks keys, mac_key"),
        (
            KEYRING.replace('"primary": "2026-11"', '"primary": "2027-01"'),
            "Key ring from VK_KEYRING: primary key '2027-01' is not among the keys",
        ),
        (
            '{"primary": "k1", "keys": {"k1": "c2hvcnQ="}, "mac_key": "c2hvcnQ="}',
            "Key ring: key 'k1' must be 32 bytes, not 5",
        ),
        (
            '{"primary": "k1", "keys": {"k1": "not base64"}, "mac_key": "c2hvcnQ="}',
            "Key ring: key 'k1' is not valid base64",
        ),
    ],
    ids=["bad json", "missing fields", "primary not a key", "short key", "bad base64"],
)
def test_a_malformed_key_ring(tmp_path: Path, ring: str, message: str) -> None:
    assert_refused(start(tmp_path, **production(tmp_path, VK_KEYRING=ring)), message)


def test_no_key_ring_in_production(tmp_path: Path) -> None:
    result = start(tmp_path, **production(tmp_path, VK_KEYRING=None))
    assert_refused(result, "No key ring: set VK_KEYRING (JSON) or VK_KEYRING_FILE (a path).")
    assert not (tmp_path / "var" / "keyring.dev.json").exists()


def test_a_key_ring_file_that_cannot_be_read(tmp_path: Path) -> None:
    absent = tmp_path / "absent.json"
    result = start(tmp_path, **production(tmp_path, VK_KEYRING=None, VK_KEYRING_FILE=str(absent)))
    assert_refused(result, f"Key ring file {absent} cannot be read: No such file or directory.")


def test_a_malformed_key_ring_never_shows_its_keys(tmp_path: Path) -> None:
    ring = KEYRING.replace('"primary": "2026-11"', '"primary": "other"')
    result = start(tmp_path, **production(tmp_path, VK_KEYRING=ring))
    assert_refused(result, "primary key 'other' is not among the keys")
    data = json.loads(KEYRING)
    for secret in [*data["keys"].values(), data["mac_key"]]:
        assert secret not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VK_SESSION_IDLE_SECONDS", "15m", "VK_SESSION_IDLE_SECONDS='15m' is not a whole number."),
        (
            "VK_SESSION_IDLE_SECONDS",
            "10",
            "VK_SESSION_IDLE_SECONDS=10 is below the smallest allowed value 60.",
        ),
        ("VK_TLS", "sometimes", "VK_TLS='sometimes' is not a boolean"),
        ("VK_SMS_BACKEND", "pigeon", "VK_SMS_BACKEND='pigeon' is not one of console, http."),
        ("VK_EID_PROVIDERS", "bankid,passport", "VK_EID_PROVIDERS names unknown providers: passport."),
    ],
)
def test_other_bad_values(tmp_path: Path, variable: str, value: str, message: str) -> None:
    assert_refused(start(tmp_path, **production(tmp_path, **{variable: value})), message)


def test_postgresql_binds_on_the_server_and_prepares_keeping_the_urls_own_options() -> None:
    config = database_from_url("postgres://vk@db.example:5432/vardkontakt?sslmode=verify-full")
    generic = "-c plan_cache_mode=force_generic_plan"
    assert config["OPTIONS"] == {
        "sslmode": "verify-full",
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": generic,
    }
    own = database_from_url("postgres://vk@db.example:5432/vardkontakt?options=-c%20search_path%3Dvk")
    assert cast(dict[str, object], own["OPTIONS"])["options"] == f"-c search_path=vk {generic}"
    sqlite_options = database_from_url("sqlite:///tmp/vk.sqlite3")["OPTIONS"]
    assert isinstance(sqlite_options, dict) and "server_side_binding" not in sqlite_options


def test_the_wsgi_application_loads_its_views_and_freezes_what_it_loaded(tmp_path: Path) -> None:
    script = (
        "import gc, sys; import vardkontakt.wsgi; "
        "print(gc.get_freeze_count(), 'vardkontakt.cases.views_staff' in sys.modules)"
    )
    result = start(tmp_path, "-c", script, **production(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 10_000 and views_loaded == "True"


@pytest.mark.django_db
def test_postgresql_runs_prepared_statements_with_their_generic_plan() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
