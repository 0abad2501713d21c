"""A case sent while its clinic is being deactivated: either the case commits first and blocks the
deactivation, or the deactivation commits first and the case is refused. Never an open case at an
inactive clinic."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction

from vardkontakt.cases.tests.cases_world import row_counts, send
from vardkontakt.conftest import Demo
from vardkontakt.directory.models import Unit, UnitStatus


def test_a_clinic_deactivated_after_the_resident_chose_it_gets_no_case(demo: Demo) -> None:
    anna = demo.resident("anna")
    solna = demo.unit("solna")  # loaded while still active, as the form's view loads it
    Unit.objects.filter(pk=solna.pk).update(status=UnitStatus.INACTIVE)
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        send(anna.user, anna, solna, demo)
    assert refused.value.code == "unit"
    assert row_counts() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_send_waits_for_a_deactivation_in_progress_and_is_refused(demo: Demo) -> None:
    anna = demo.resident("anna")
    solna = demo.unit("solna")
    locked = threading.Event()
    finish = threading.Event()

    def deactivation() -> None:
        # What onboarding.actions.deactivate_unit does: lock the unit row, find no open case,
        # make the unit inactive, commit.
        try:
            with transaction.atomic():
                Unit.objects.select_for_update().get(pk=solna.pk)
                locked.set()
                finish.wait(timeout=10)
                Unit.objects.filter(pk=solna.pk).update(status=UnitStatus.INACTIVE)
        finally:
            close_old_connections()
            connection.close()

    worker = threading.Thread(target=deactivation)
    worker.start()
    try:
        assert locked.wait(timeout=10)
        outcome: list[object] = []

        def sender() -> None:
            try:
                outcome.append(send(anna.user, anna, solna, demo))
            except ValidationError as exc:
                outcome.append(exc)
            finally:
                connection.close()

        before = row_counts()
        sending = threading.Thread(target=sender)
        sending.start()
        sending.join(timeout=1)
        assert sending.is_alive(), "the send must wait for the deactivation's lock"
        finish.set()
        sending.join(timeout=10)
        assert len(outcome) == 1 and isinstance(outcome[0], ValidationError)
        assert row_counts() == before
    finally:
        finish.set()
        worker.join(timeout=10)
