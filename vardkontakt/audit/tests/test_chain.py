"""The sealer's hash chain, and the verifier that names the first broken link."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from vardkontakt.audit import log
from vardkontakt.audit.log import (
    GENESIS,
    ChainProblem,
    canonical,
    chain_mac,
    record,
    seal_pending,
    verify_chain,
)
from vardkontakt.audit.models import AccessLogEntry, AccessLogSeal, ChainHead
from vardkontakt.audit.tests.tampering import triggers_bypassed

pytestmark = pytest.mark.django_db


def read(n: int) -> AccessLogEntry:
    return record(actor=None, action="case.read", object_type="cases.Case", object_id=str(n))


def entries(count: int) -> list[AccessLogEntry]:
    return [read(n) for n in range(1, count + 1)]


def seals() -> list[AccessLogSeal]:
    return list(AccessLogSeal.objects.order_by("seq"))


def verify_command() -> str:
    out = StringIO()
    call_command("verify_access_log", stdout=out)
    return out.getvalue()


def assert_whole_chain(expected_entry_ids: list[int]) -> None:
    chain = seals()
    assert [seal.seq for seal in chain] == list(range(1, len(expected_entry_ids) + 1))
    assert [seal.entry_id for seal in chain] == expected_entry_ids
    prev = GENESIS
    for seal in chain:
        assert seal.prev_mac == prev
        assert seal.mac == chain_mac(prev, AccessLogEntry.objects.get(pk=seal.entry_id))
        prev = seal.mac
    head = ChainHead.objects.get()
    assert (head.seq, head.mac) == (len(chain), prev)
    assert verify_chain() is None


# --- sealing -----------------------------------------------------------------------------------------


def test_an_empty_log_verifies() -> None:
    assert seal_pending() == 0
    assert verify_chain() is None
    assert "The access log's chain is whole." in verify_command()


def test_the_sealer_chains_rows_in_id_order_and_is_idempotent() -> None:
    rows = entries(5)
    assert seal_pending() == 5
    assert_whole_chain([row.pk for row in rows])
    before = [(seal.seq, seal.entry_id, seal.prev_mac, seal.mac) for seal in seals()]
    assert seal_pending() == 0
    assert seal_pending() == 0
    assert [(seal.seq, seal.entry_id, seal.prev_mac, seal.mac) for seal in seals()] == before
    more = entries(2)
    assert seal_pending() == 2
    assert_whole_chain([row.pk for row in rows + more])


def test_the_sealer_works_in_batches() -> None:
    rows = entries(7)
    assert [seal_pending(batch_size=3) for _ in range(4)] == [3, 3, 1, 0]
    assert_whole_chain([row.pk for row in rows])


@pytest.mark.django_db(transaction=True)  # the command closes stale connections, as a daemon should
def test_the_seal_command() -> None:
    with transaction.atomic():
        rows = entries(3)
    out = StringIO()
    call_command("seal_access_log", "--batch-size", "2", stdout=out)
    assert "sealed 3 access-log rows" in out.getvalue()
    assert_whole_chain([row.pk for row in rows])


def test_a_row_committed_late_is_still_sealed_and_verified() -> None:
    """A row whose transaction commits after a row with a higher id has been sealed (simulated here
    with explicit ids) is sealed on a later run, after it in the chain."""
    base = (AccessLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    high = AccessLogEntry.objects.create(id=base + 100, action="case.read", object_type="cases.Case")
    assert seal_pending() == 1
    low = AccessLogEntry.objects.create(id=base + 50, action="case.read", object_type="cases.Case")
    assert seal_pending() == 1
    assert ChainHead.objects.get().max_entry_id == base + 100
    assert_whole_chain([high.pk, low.pk])
    assert "whole" in verify_command()


def test_a_row_far_below_the_window_is_reported_as_a_straggler() -> None:
    base = (AccessLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    high = AccessLogEntry.objects.create(
        id=base + log.LATE_COMMIT_WINDOW + 10, action="case.read", object_type="cases.Case"
    )
    assert seal_pending() == 1
    AccessLogEntry.objects.create(
        id=base, at=timezone.now() - timedelta(hours=2), action="case.read", object_type="cases.Case"
    )
    assert seal_pending() == 0  # too far below: the sealer does not look there ...
    assert_whole_chain([high.pk])
    with pytest.raises(CommandError, match="1 access-log rows older than an hour are not sealed"):
        verify_command()  # ... and the verifier says so


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer at a time: nothing commits late"
)
@pytest.mark.django_db(transaction=True)
def test_a_row_really_committed_late_on_postgresql() -> None:
    """Two real transactions: the one with the lower id commits after the sealer has run."""
    written, release = threading.Event(), threading.Event()
    late: dict[str, Any] = {}

    def slow_read() -> None:
        try:
            with transaction.atomic():
                late["entry"] = read(1)
                written.set()
                assert release.wait(10)
        finally:
            written.set()
            connection.close()

    thread = threading.Thread(target=slow_read)
    thread.start()
    assert written.wait(10)
    with transaction.atomic():
        early = read(2)
    assert early.pk > late["entry"].pk
    assert seal_pending() == 1  # only the committed row
    release.set()
    thread.join(10)
    assert seal_pending() == 1
    assert_whole_chain([early.pk, late["entry"].pk])


@pytest.mark.parametrize("when", ["before", "after"])
def test_verification_while_the_sealer_runs(when: str) -> None:
    """The sealer may commit new seals just before or just after the verifier reads the chain head:
    that is no broken chain."""
    entries(3)
    seal_pending()
    entries(2)
    real = ChainHead.objects
    ran: list[bool] = []

    class SealerCommitsAroundTheFirstHeadRead:
        def filter(self, **lookup: Any) -> Any:
            if ran:  # the sealer's own use of the head, or a later read
                return real.filter(**lookup)
            ran.append(True)
            if when == "before":
                seal_pending()
                return real.filter(**lookup)
            head = real.filter(**lookup).first()
            seal_pending()
            return SimpleNamespace(first=lambda: head, exists=lambda: head is not None)

        def select_for_update(self) -> Any:
            return real.select_for_update()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log, "ChainHead", SimpleNamespace(objects=SealerCommitsAroundTheFirstHeadRead()))
        assert verify_chain(batch_size=2) is None
    assert ran
    assert ChainHead.objects.get().seq == 5
    assert verify_chain() is None


def test_the_canonical_form_keeps_column_boundaries() -> None:
    at = timezone.now()
    one = AccessLogEntry(id=1, at=at, object_type="case\x1f1", object_id="", action="read")
    other = AccessLogEntry(id=1, at=at, object_type="case", object_id="1\x1f", action="read")
    assert canonical(one) != canonical(other)
    assert chain_mac(GENESIS, one) != chain_mac(GENESIS, other)


# --- tampering ---------------------------------------------------------------------------------------


@pytest.fixture
def chain() -> list[AccessLogEntry]:
    rows = entries(5)
    assert seal_pending() == 5
    assert verify_chain() is None
    return rows


def assert_broken(problem: ChainProblem | None, seq: int, entry_id: int, reason: str) -> None:
    assert problem is not None
    assert (problem.seq, problem.entry_id) == (seq, entry_id)
    assert reason in problem.reason
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert str(caught.value) == f"The access log has been tampered with: {problem}"


def test_an_edited_entry(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogEntry.objects.filter(pk=chain[2].pk).update(object_id="999")
    assert_broken(verify_chain(), 3, chain[2].pk, "the entry or its seal has been altered")
    assert f"seal 3 (entry {chain[2].pk})" in str(verify_chain())


@pytest.mark.parametrize(
    "change",
    [
        {"action": "case.list"},
        {"object_type": "journal.Entry"},
        {"acting_role": "CASE_HANDLER"},
        {"at": timezone.now() - timedelta(days=1)},
        {"unit_id": 7},
        {"subject_id": "6f1c6a3e-0c7d-4b8e-9d2a-4a1f7d9b1e01"},
        {"actor_id": "6f1c6a3e-0c7d-4b8e-9d2a-4a1f7d9b1e02"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_column_is_covered(chain: list[AccessLogEntry], change: dict[str, object]) -> None:
    with triggers_bypassed():
        AccessLogEntry.objects.filter(pk=chain[1].pk).update(**change)
    assert_broken(verify_chain(), 2, chain[1].pk, "altered")


def test_only_the_first_broken_link_is_named(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogEntry.objects.filter(pk__in=[chain[1].pk, chain[3].pk]).update(action="x")
    assert_broken(verify_chain(), 2, chain[1].pk, "altered")


def test_a_deleted_entry(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogEntry.objects.filter(pk=chain[3].pk).delete()
    assert_broken(verify_chain(), 4, chain[3].pk, "the entry has been deleted")


def test_two_entries_contents_swapped(chain: list[AccessLogEntry]) -> None:
    second, third = chain[1], chain[2]
    with triggers_bypassed():
        AccessLogEntry.objects.filter(pk=second.pk).update(object_id=third.object_id, at=third.at)
        AccessLogEntry.objects.filter(pk=third.pk).update(object_id=second.object_id, at=second.at)
    assert_broken(verify_chain(), 2, second.pk, "altered")


def test_two_seals_swapped(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=2).update(seq=-2)
        AccessLogSeal.objects.filter(seq=3).update(seq=2)
        AccessLogSeal.objects.filter(seq=-2).update(seq=3)
    assert_broken(verify_chain(), 2, chain[2].pk, "does not follow the previous seal")


def test_a_seal_pointed_at_another_entry(chain: list[AccessLogEntry]) -> None:
    extra = read(99)  # committed, not yet sealed
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=4).update(entry_id=extra.pk)
    assert_broken(verify_chain(), 4, extra.pk, "altered")


def test_a_forged_mac(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=5).update(mac="0" * 64)
    assert_broken(verify_chain(), 5, chain[4].pk, "altered")


def test_a_seal_removed_in_the_middle(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=3).delete()
    assert_broken(verify_chain(), 3, 0, "seal 3 is missing")
    assert str(verify_chain()) == f"seal 3: seal 3 is missing (the next seal is 4, of entry {chain[3].pk})"


def test_the_first_seal_removed(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=1).delete()
    assert_broken(verify_chain(), 1, 0, "seal 1 is missing")


def test_a_seal_and_its_entry_removed_in_the_middle(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=3).delete()
        AccessLogEntry.objects.filter(pk=chain[2].pk).delete()
    assert_broken(verify_chain(), 3, 0, "seal 3 is missing")


def test_a_seal_removed_and_the_rest_renumbered(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq=3).delete()
        for seq in (4, 5):
            AccessLogSeal.objects.filter(seq=seq).update(seq=seq - 1)
        ChainHead.objects.update(seq=4)
    assert_broken(verify_chain(), 3, chain[3].pk, "does not follow the previous seal")


def test_seals_removed_at_the_end(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.filter(seq__gte=4).delete()
    assert_broken(verify_chain(), 4, 0, "seals 4 to 5 are missing")
    assert "(seals removed at the end)" in str(verify_chain())


def test_all_seals_removed(chain: list[AccessLogEntry]) -> None:
    with triggers_bypassed():
        AccessLogSeal.objects.all().delete()
    assert_broken(verify_chain(), 1, 0, "seals 1 to 5 are missing")


def test_a_chain_head_that_does_not_match(chain: list[AccessLogEntry]) -> None:
    ChainHead.objects.update(mac="1" * 64)  # the head has no trigger: the sealer updates it
    assert_broken(verify_chain(), 5, 0, "the chain head does not match")


def test_a_deleted_chain_head(chain: list[AccessLogEntry]) -> None:
    ChainHead.objects.all().delete()
    assert_broken(verify_chain(), 5, 0, "the chain head is missing")
