"""The access log: one insert-only row per read of personal content, and a hash chain over them.

Rows are written by ``audit.log.record`` in the same transaction as the read they record. The chain is
kept apart from the rows (``AccessLogSeal``), so that writing a row never waits on a global lock and
the rows themselves are never updated: the sealer (``seal_access_log``) takes committed, unsealed rows
in id order and appends one seal per row, each an HMAC over the row's content and the previous seal.
On PostgreSQL and SQLite a trigger refuses UPDATE and DELETE on both tables (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessLogEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    acting_role = models.CharField(max_length=20, blank=True)  # the role the actor read in, if staff
    unit = models.ForeignKey(
        "directory.Unit", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    # Whose data was read (the resident); null for events about no resident (a role grant, say).
    subject = models.ForeignKey(
        "identity.Resident", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=50)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "at"], name="accesslog_unit_at"),
            models.Index(fields=["subject", "at"], name="accesslog_subject_at"),
            models.Index(fields=["actor", "at"], name="accesslog_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}"


class AccessLogSeal(models.Model):
    """The chain link of one entry: ``mac = HMAC(key, prev_mac || canonical(entry))``."""

    seq = models.BigIntegerField(primary_key=True)  # 1, 2, 3, … in sealing order
    entry_id = models.BigIntegerField(
        unique=True
    )  # not a foreign key: a deleted entry must not take its seal along
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"seal {self.seq} of entry {self.entry_id}"


class ChainHead(models.Model):
    """One row; the sealer locks it so that only one sealer extends the chain at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=64, default="0" * 64)
    max_entry_id = models.BigIntegerField(default=0)  # the highest entry id sealed so far

    def __str__(self) -> str:
        return f"chain head at {self.seq}"
