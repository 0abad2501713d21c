"""Simulated e-ID providers are refused at start-up outside DEBUG unless explicitly allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from vardkontakt.identity.eid.registry import refuse_simulators_in_production

ALL = ["bankid", "freja", "siths"]


@pytest.mark.parametrize(
    ("debug", "allow", "simulators", "providers", "refused_with"),
    [
        (False, False, True, ALL, "VK_EID_SIMULATORS"),
        (False, False, True, ["siths"], "siths"),
        (True, False, True, ALL, None),
        (False, True, True, ALL, None),
        (False, False, False, ALL, None),  # the real services
        (False, False, True, [], None),  # nothing offered, nothing simulated
        (True, True, False, ["bankid", "bankid-by-mail"], "bankid-by-mail"),
    ],
)
def test_refuse_simulators_in_production(
    debug: bool, allow: bool, simulators: bool, providers: list[str], refused_with: str | None
) -> None:
    with override_settings(
        DEBUG=debug, VK_ALLOW_SIMULATORS=allow, VK_EID_SIMULATORS=simulators, VK_EID_PROVIDERS=providers
    ):
        if refused_with is None:
            refuse_simulators_in_production()
        else:
            with pytest.raises(ImproperlyConfigured, match=refused_with):
                refuse_simulators_in_production()


def _manage_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    from vardkontakt import settings_test

    env = {key: value for key, value in os.environ.items() if not key.startswith(("VK_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    assert json.loads(settings_test._TEST_KEYRING)["primary"] == "test1"
    env.update(
        DJANGO_SETTINGS_MODULE="vardkontakt.settings",
        VK_DEBUG="0",
        VK_SECRET_KEY="production-like-secret-" + "p" * 50,
        VK_KEYRING=settings_test._TEST_KEYRING,
        VK_EID_PROVIDERS="bankid,freja,siths",
        VK_EID_SIMULATORS="1",
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


def test_manage_check_refuses_the_simulators_outside_debug(tmp_path: Path) -> None:
    result = _manage_check(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG is off but this configuration uses the e-ID simulators" in result.stderr


def test_manage_check_passes_with_the_explicit_opt_in(tmp_path: Path) -> None:
    result = _manage_check(tmp_path, VK_ALLOW_SIMULATORS="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
