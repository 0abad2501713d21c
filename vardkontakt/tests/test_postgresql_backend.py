"""The PostgreSQL backend's health check of a kept connection (vardkontakt/postgresql/base.py): it
sends nothing, finds a connection the server has ended, and the next query then runs on a new one."""

from __future__ import annotations

import select
from typing import Any

import psycopg
import pytest
from django.db import close_old_connections, connection

from vardkontakt.env import database_from_url

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend")


def test_postgresql_urls_use_the_backend_with_health_checks() -> None:
    config = database_from_url("postgres://vk@db.example:5432/vardkontakt")
    assert config["ENGINE"] == "vardkontakt.postgresql"
    assert config["CONN_MAX_AGE"] == 60 and config["CONN_HEALTH_CHECKS"] is True
    assert database_from_url("sqlite:///tmp/vk.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_live_idle_connection_is_usable_without_a_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    _backend_pid()
    raw = connection.connection
    assert raw is not None

    def no_round_trip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the health check sent something to the server")

    monkeypatch.setattr(raw, "execute", no_round_trip)
    monkeypatch.setattr(raw, "cursor", no_round_trip)
    assert connection.is_usable()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it() -> None:
    old_pid = _backend_pid()
    close_old_connections()  # a live connection is kept from one request to the next
    assert _backend_pid() == old_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    raw = connection.connection
    assert raw is not None
    readable, _, _ = select.select([raw.fileno()], [], [], 10)  # the server's goodbye arrives
    assert readable
    assert not connection.is_usable()
    # What Django does at the start of a request, then the request's first query: a new connection,
    # no error for the request.
    close_old_connections()
    assert _backend_pid() != old_pid
    assert connection.is_usable()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_connection_left_in_a_transaction_is_not_usable() -> None:
    _backend_pid()
    raw = connection.connection
    assert raw is not None
    raw.autocommit = False
    raw.execute("SELECT 1")  # opens a transaction and leaves it open
    try:
        assert not connection.is_usable()
    finally:
        raw.rollback()
        raw.autocommit = True
    assert connection.is_usable()
