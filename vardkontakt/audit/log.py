"""Writing and sealing the access log."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection, models, transaction

from vardkontakt.audit.models import AccessLogEntry, AccessLogSeal, ChainHead
from vardkontakt.crypto.keyring import get_keyring
from vardkontakt.statements import Insert

GENESIS = "0" * 64
_PURPOSE = "access-log-chain"
# The sealer looks this far below the highest sealed id for rows whose transaction committed late, so
# that it never scans the whole log. A row later than that is reported by ``unsealed_stragglers``.
LATE_COMMIT_WINDOW = 10_000
# Every staff read writes a row: the INSERT is compiled once (nothing listens to this model's saves).
_ENTRY = Insert(AccessLogEntry)


def record(
    *,
    actor: models.Model | None,
    action: str,
    object_type: str,
    object_id: object = "",
    acting_role: str = "",
    unit: models.Model | None = None,
    subject: models.Model | None = None,
) -> AccessLogEntry:
    """Write one access-log row. Must run inside the transaction of the read it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the transaction of the read it records")
    return _ENTRY.one(
        actor_id=getattr(actor, "pk", None),
        acting_role=acting_role,
        unit_id=getattr(unit, "pk", None),
        subject_id=getattr(subject, "pk", None),
        object_type=object_type,
        object_id=str(object_id),
        action=action,
    )


def canonical(entry: AccessLogEntry) -> bytes:
    """The bytes of an entry that its seal covers; every column, in a fixed order.

    A JSON array, so that no value can shift a boundary between two columns: with a plain separator,
    ``("case\x1f1", "")`` and ``("case", "1\x1f")`` would be the same bytes."""
    fields = [
        str(entry.id),
        entry.at.isoformat(timespec="microseconds"),
        str(entry.actor_id or ""),
        entry.acting_role,
        str(entry.unit_id or ""),
        str(entry.subject_id or ""),
        entry.object_type,
        entry.object_id,
        entry.action,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_mac(prev_mac: str, entry: AccessLogEntry) -> str:
    return get_keyring().mac(_PURPOSE, prev_mac.encode("ascii") + b"|" + canonical(entry)).hex()


def seal_pending(batch_size: int = 1000) -> int:
    """Seal committed rows that have no seal yet, oldest id first. Returns how many were sealed."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        sealed_ids = AccessLogSeal.objects.filter(entry_id=models.OuterRef("id"))
        pending = list(
            AccessLogEntry.objects.filter(id__gt=head.max_entry_id - LATE_COMMIT_WINDOW)
            .filter(~models.Exists(sealed_ids))
            .order_by("id")[:batch_size]
        )
        seals = []
        seq, mac = head.seq, head.mac
        for entry in pending:
            seq += 1
            new_mac = chain_mac(mac, entry)
            seals.append(AccessLogSeal(seq=seq, entry_id=entry.id, prev_mac=mac, mac=new_mac))
            mac = new_mac
        if seals:
            AccessLogSeal.objects.bulk_create(seals)
            max_id = max(head.max_entry_id, *(entry.id for entry in pending))
            ChainHead.objects.filter(id=1).update(seq=seq, mac=mac, max_entry_id=max_id)
        return len(seals)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    entry_id: int
    reason: str

    def __str__(self) -> str:
        if not self.entry_id:  # a problem of the chain, not of one entry's seal
            return f"seal {self.seq}: {self.reason}"
        return f"seal {self.seq} (entry {self.entry_id}): {self.reason}"


def verify_chain(batch_size: int = 5000) -> ChainProblem | None:
    """Walk the chain in order; return the first broken link, or None when it is whole."""
    # The head is read first: a sealer running meanwhile only appends seals after the head it leaves,
    # so the chain read below is never shorter than this head (unless seals have been removed).
    head = ChainHead.objects.filter(id=1).first()
    head_seq = head.seq if head is not None else 0
    mac_at_head = GENESIS if head_seq == 0 else None
    expected_prev = GENESIS
    expected_seq = 1
    last_seq = 0
    while True:
        seals = list(AccessLogSeal.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not seals:
            break
        entries = AccessLogEntry.objects.in_bulk([s.entry_id for s in seals])
        for seal in seals:
            if seal.seq != expected_seq:
                return ChainProblem(
                    expected_seq,
                    0,
                    f"seal {expected_seq} is missing (the next seal is {seal.seq}, of entry {seal.entry_id})",
                )
            if seal.prev_mac != expected_prev:
                return ChainProblem(
                    seal.seq, seal.entry_id, "does not follow the previous seal (reordered or removed)"
                )
            entry = entries.get(seal.entry_id)
            if entry is None:
                return ChainProblem(seal.seq, seal.entry_id, "the entry has been deleted")
            if chain_mac(seal.prev_mac, entry) != seal.mac:
                return ChainProblem(seal.seq, seal.entry_id, "the entry or its seal has been altered")
            if seal.seq == head_seq:
                mac_at_head = seal.mac
            expected_prev = seal.mac
            expected_seq += 1
            last_seq = seal.seq
    if head is None:
        # Read again: the very first sealer run creates the head together with its seals.
        if last_seq and not ChainHead.objects.filter(id=1).exists():
            return ChainProblem(last_seq, 0, "the chain head is missing")
        return None
    if last_seq < head_seq:
        return ChainProblem(
            last_seq + 1,
            0,
            f"seals {last_seq + 1} to {head_seq} are missing: the chain ends at seal {last_seq} "
            f"but its head records {head_seq} (seals removed at the end)",
        )
    if mac_at_head != head.mac:
        return ChainProblem(head_seq, 0, "the chain head does not match the seal it records")
    return None


def unsealed_stragglers(older_than_seconds: int = 3600) -> int:
    """Rows that are old and still unsealed: the sealer has not run, or a row was slipped in below it."""
    from datetime import timedelta

    from django.utils import timezone

    sealed_ids = AccessLogSeal.objects.filter(entry_id=models.OuterRef("id"))
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return AccessLogEntry.objects.filter(at__lt=cutoff).filter(~models.Exists(sealed_ids)).count()
