"""Writing an access-log row: only inside the transaction of the read it records."""

from __future__ import annotations

import pytest
from django.db import transaction

from vardkontakt.audit.log import record
from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.identity.models import User, UserKind


class ReadFailed(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="must be called inside the transaction of the read"):
        record(actor=None, action="read", object_type="cases.Case", object_id="1")
    assert not AccessLogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_read_leaves_its_row() -> None:
    reader = User.objects.create_user(UserKind.STAFF)
    with transaction.atomic():
        entry = record(
            actor=reader,
            action="case.read",
            object_type="cases.Case",
            object_id=1234,
            acting_role="CASE_RECEIVER",
        )
    stored = AccessLogEntry.objects.get()
    assert stored.pk == entry.pk
    assert (stored.actor_id, stored.action, stored.object_type, stored.object_id, stored.acting_role) == (
        reader.pk,
        "case.read",
        "cases.Case",
        "1234",
        "CASE_RECEIVER",
    )
    assert (stored.unit_id, stored.subject_id) == (None, None)


@pytest.mark.django_db(transaction=True)
def test_a_read_that_rolls_back_leaves_no_row() -> None:
    with pytest.raises(ReadFailed), transaction.atomic():
        record(actor=None, action="case.read", object_type="cases.Case", object_id="1")
        assert AccessLogEntry.objects.count() == 1  # written in the read's transaction ...
        raise ReadFailed
    assert not AccessLogEntry.objects.exists()  # ... and gone with it


@pytest.mark.django_db
def test_a_read_in_a_savepoint_that_rolls_back_leaves_no_row() -> None:
    record(actor=None, action="case.list", object_type="cases.Case")
    with pytest.raises(ReadFailed), transaction.atomic():
        record(actor=None, action="case.read", object_type="cases.Case", object_id="1")
        raise ReadFailed
    assert list(AccessLogEntry.objects.values_list("action", flat=True)) == ["case.list"]
