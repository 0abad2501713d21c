"""The access log: one insert-only row per read of personal content, and a hash chain over them.

Rows are written by ``audit.log.record`` in the same transaction as the read they record. The chain is
kept apart from the rows (``AccessLogSeal``), so that writing a row never waits on a global lock and
the rows themselves are never updated: the sealer (``seal_access_log``) takes committed, unsealed rows
in id order and appends one seal per row, each an HMAC over the row's content and the previous seal.
On PostgreSQL and SQLite a trigger refuses UPDATE and DELETE on both tables (migration 0002).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.crypto.fields import EncryptedText


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


# --- Log review (granskning av åtkomstloggen) ----------------------------------------------------


class LogFilter(models.Model):
    """A reviewer's filter of one unit's access log, stored so that its pages are addressed by this
    opaque id and a personnummer never travels in a URL. ``upto_entry_id`` freezes the set at the
    moment the filter was made: paging, the sample and the export then see the same rows, not the
    ones written meanwhile (the reviewer's own reads among them)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("directory.Unit", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("identity.Staff", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    staff_hsa_id = models.CharField(max_length=31, blank=True)
    pnr_sealed = models.BinaryField(null=True, blank=True)
    personnummer = EncryptedText("pnr_sealed")  # 12 digits, as typed (canonical), or unset
    pnr_index = models.CharField(max_length=64, blank=True)  # Resident.index_for(digits)
    date_from = models.DateField()
    date_to = models.DateField()
    upto_entry_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")), name="logfilter_period_valid"
            )
        ]

    def __str__(self) -> str:
        return f"LogFilter {self.id}"


class Verdict(models.TextChoices):
    JUSTIFIED = "justified", _("Befogad")
    NOT_JUSTIFIED = "not_justified", _("Inte befogad – har följts upp")
    FOLLOW_UP = "follow_up", _("Behöver följas upp")


class ReviewOutcome(models.TextChoices):
    NO_REMARKS = "no_remarks", _("Inga anmärkningar")
    REMARKS = "remarks", _("Anmärkningar")


class LogReview(models.Model):
    """A random sample of a filter's rows, drawn by a reviewer, worked through and then closed.
    Append and close only: conclusions are added, never changed or removed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("directory.Unit", on_delete=models.PROTECT, related_name="+")
    filter = models.ForeignKey(LogFilter, on_delete=models.PROTECT, related_name="reviews")
    drawn_by = models.ForeignKey("identity.Staff", on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(default=timezone.now)
    population = models.PositiveIntegerField()  # rows in the filtered set when the sample was drawn
    idempotency_key = models.UUIDField()  # a repeated submit of the sample form draws no second sample
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "identity.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=ReviewOutcome.choices, blank=True)
    summary_sealed = models.BinaryField(null=True, blank=True)
    summary = EncryptedText("summary_sealed")  # the overall conclusion, set when closed

    class Meta:
        indexes = [models.Index(fields=["unit", "drawn_at"], name="logreview_unit_drawn")]
        constraints = [
            models.UniqueConstraint(fields=["drawn_by", "idempotency_key"], name="logreview_drawn_once"),
            models.CheckConstraint(
                condition=(
                    models.Q(closed_at__isnull=True, closed_by__isnull=True, outcome="")
                    | (models.Q(closed_at__isnull=False, closed_by__isnull=False) & ~models.Q(outcome=""))
                ),
                name="logreview_closed_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"LogReview {self.id}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class LogReviewItem(models.Model):
    """One sampled access-log row of a review."""

    review = models.ForeignKey(LogReview, on_delete=models.PROTECT, related_name="items")
    entry = models.ForeignKey(
        AccessLogEntry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    position = models.PositiveSmallIntegerField()  # 1, 2, 3, … in the order shown

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "entry"], name="logreviewitem_entry_once"),
            models.UniqueConstraint(fields=["review", "position"], name="logreviewitem_position_once"),
        ]

    def __str__(self) -> str:
        return f"LogReviewItem {self.pk}"


class LogReviewConclusion(models.Model):
    """A reviewer's conclusion about one sampled row. Appended, never changed: a later conclusion
    about the same row (after a follow-up, say) supersedes the earlier one, which stays on record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(LogReviewItem, on_delete=models.PROTECT, related_name="conclusions")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    comment_sealed = models.BinaryField(null=True, blank=True)
    comment = EncryptedText("comment_sealed")  # free text about staff conduct: sealed
    by = models.ForeignKey("identity.Staff", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=Verdict.values), name="logreviewconclusion_verdict_valid"
            )
        ]

    def __str__(self) -> str:
        return f"LogReviewConclusion {self.id}"
