"""The database triggers that make the access log and its seals insert-only.

PostgreSQL: a trigger function raises on UPDATE, DELETE and TRUNCATE. SQLite (the embedded default):
triggers that abort UPDATE and DELETE. The application never changes these rows; only someone with
direct database access could, and the hash chain then names the row they touched.

``suspended`` lifts them for the one operation that legitimately erases the log along with
everything else: ``manage.py flush`` (used by the test runner between transactional tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

TABLES = ("audit_accesslogentry", "audit_accesslogseal")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION vk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is insert-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def create_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        statements = [_PG_FUNCTION]
        for table in TABLES:
            statements += [
                f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION vk_refuse_change();",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION vk_refuse_change();",
            ]
        return statements
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the access log is insert-only: {op} on {table} refused'); END;"
            for table in TABLES
            for op in ("UPDATE", "DELETE")
        ]
    return []


def drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_{name} ON {table};"
            for table in TABLES
            for name in ("insert_only", "no_truncate")
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{op};" for table in TABLES for op in ("update", "delete")]
    return []


def create(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in create_sql(connection.vendor):
            cursor.execute(statement)


def drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in drop_sql(connection.vendor):
            cursor.execute(statement)


@contextmanager
def suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    drop(connection)
    try:
        yield
    finally:
        create(connection)
