"""The database itself refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of the access log."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from vardkontakt.audit.log import record, seal_pending
from vardkontakt.audit.models import AccessLogEntry, AccessLogSeal, ChainHead
from vardkontakt.audit.tests.tampering import TABLES, triggers_bypassed

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed_entry() -> AccessLogEntry:
    entry = record(actor=None, action="read", object_type="cases.Case", object_id="42")
    assert seal_pending() == 1
    return entry


def refused(statement: str, params: list[str] | None = None) -> str:
    """Run a statement that must fail, in a savepoint so that the test's transaction goes on."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(caught.value)


@pytest.mark.parametrize("table", TABLES)
def test_raw_update_and_delete_are_refused(table: str, sealed_entry: AccessLogEntry) -> None:
    column = "action" if table == "audit_accesslogentry" else "mac"
    update = refused(f"UPDATE {table} SET {column} = %s", ["x"])  # noqa: S608
    assert f"the access log is insert-only: UPDATE on {table} refused" in update
    delete = refused(f"DELETE FROM {table}")  # noqa: S608
    assert f"the access log is insert-only: DELETE on {table} refused" in delete
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone() == (1,)


def test_orm_changes_are_refused(sealed_entry: AccessLogEntry) -> None:
    for queryset, change in [
        (AccessLogEntry.objects.all(), {"action": "nothing"}),
        (AccessLogSeal.objects.all(), {"mac": "0" * 64}),
    ]:
        with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic():
            queryset.update(**change)
        with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic():
            queryset.delete()
    sealed_entry.action = "nothing"
    with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic():
        sealed_entry.save()
    assert AccessLogEntry.objects.get(pk=sealed_entry.pk).action == "read"
    assert AccessLogSeal.objects.get().entry_id == sealed_entry.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
@pytest.mark.parametrize("table", TABLES)
def test_truncate_is_refused_on_postgresql(table: str, sealed_entry: AccessLogEntry) -> None:
    assert "TRUNCATE" in refused(f"TRUNCATE {table}")


def test_inserts_and_the_head_stay_possible(sealed_entry: AccessLogEntry) -> None:
    record(actor=None, action="read", object_type="cases.Case", object_id="43")
    assert seal_pending() == 1
    assert ChainHead.objects.get().seq == 2


def test_the_bypass_works_and_the_triggers_come_back(sealed_entry: AccessLogEntry) -> None:
    with triggers_bypassed():
        AccessLogEntry.objects.filter(pk=sealed_entry.pk).update(action="changed")
        AccessLogSeal.objects.filter(entry_id=sealed_entry.pk).update(mac="f" * 64)
    assert AccessLogEntry.objects.get(pk=sealed_entry.pk).action == "changed"
    assert AccessLogSeal.objects.get().mac == "f" * 64
    for table in TABLES:
        assert "insert-only" in refused(f"DELETE FROM {table}")  # noqa: S608
