"""Changing the access log the way an attacker with database superuser rights would.

The insert-only triggers stop the application and any ordinary database user. A superuser can get past
them: on PostgreSQL by ``SET session_replication_role = replica`` (ordinary triggers do not fire), on
SQLite by dropping the triggers. ``triggers_bypassed`` does that for the block inside it and puts
everything back afterwards, so that the tests can show what the hash chain still catches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TABLES = ("audit_accesslogentry", "audit_accesslogseal")


def insert_only_trigger_sql() -> list[str]:
    """SQLite: the statements that create the triggers on the access-log tables, as stored."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s) ORDER BY name",
            list(TABLES),
        )
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def triggers_bypassed() -> Iterator[None]:
    assert connection.in_atomic_block, "tamper inside the test's transaction"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
    elif connection.vendor == "sqlite":
        saved = insert_only_trigger_sql()
        assert len(saved) == 4, saved  # UPDATE and DELETE on both tables
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)", list(TABLES)
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for statement in saved:
                    cursor.execute(statement)
    else:  # pragma: no cover
        raise NotImplementedError(connection.vendor)
