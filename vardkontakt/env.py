"""Reading configuration from the environment, failing loudly on a bad value.

Every setting that comes from the environment goes through one of these helpers, so that a typo in a
deployment produces an ``ImproperlyConfigured`` that names the variable and the problem instead of a
silently wrong default.
"""

from __future__ import annotations

import os
from typing import cast

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the smallest allowed value {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(sorted(choices))}.")
    return value


def database_from_url(url: str) -> dict[str, object]:
    """Parse DATABASE_URL, accepting only the engines Vårdkontakt supports."""
    import dj_database_url

    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has the unsupported scheme {scheme or '(none)'!r}: "
            "use sqlite:///path/to/db.sqlite3 or postgres://user@host:port/name."
        )
    try:
        parsed = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:  # the message names the part, never the URL (it may hold a password)
        raise ImproperlyConfigured(
            f"DATABASE_URL cannot be read: {exc} Characters such as @ : / in the password must be %-quoted."
        ) from None
    config: dict[str, object] = dict(parsed)
    if config.get("NAME") in ("", None, ":memory:"):
        raise ImproperlyConfigured(
            "DATABASE_URL names no database: use sqlite:///path/to/db.sqlite3 or postgres://user@host:port/name."
        )
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check of a kept connection that needs no round trip
        # (vardkontakt/postgresql/base.py).
        config["ENGINE"] = "vardkontakt.postgresql"
        # Parameters bound by the server, and statements a connection sends more than once prepared
        # (psycopg's prepare_threshold): PostgreSQL then neither parses nor plans them again, and the
        # app does not quote values into the SQL (bench/README.md, "PostgreSQL: prepared statements").
        # Prepared statements always run with their generic plan: the pages' queries are key lookups
        # whose best plan does not depend on the key, and PostgreSQL's default would otherwise keep
        # planning some of them afresh on every execution (the clinic inbox: 1.7 ms of planning
        # for 0.3 ms of execution). The URL's own server options (?options=-c ...) come first.
        options = dict(cast(dict[str, object], config.get("OPTIONS") or {}))
        server = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
        config["OPTIONS"] = {
            **options,
            "server_side_binding": True,
            "prepare_threshold": 5,
            "options": server,
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    return config


def env_base_url(name: str) -> str:
    """An absolute http(s) base URL without query or fragment, returned without a trailing slash;
    "" when the variable is unset or empty."""
    from urllib.parse import urlsplit

    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an absolute http:// or https:// URL.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ImproperlyConfigured(f"{name}={raw!r} must not carry a user name, a query or a fragment.")
    return raw.rstrip("/")
