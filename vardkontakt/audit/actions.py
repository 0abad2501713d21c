"""Log review: every step a reviewer takes, each one checking policy in one transaction.

A reviewer's own reads of the log are themselves logged (docs/security.md, "Log review"): every page
that shows log rows, and every export, writes one access-log row per resident whose rows it shows
(``logreview.read`` / ``logreview.export``, at the reviewed unit, in the role LOG_REVIEWER), plus one
for the resident a filter names even when none of their rows are shown; a page that shows rows about
no resident writes one row without a resident."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vardkontakt.audit import policy, review
from vardkontakt.audit.log import record
from vardkontakt.audit.models import (
    AccessLogEntry,
    LogFilter,
    LogReview,
    LogReviewConclusion,
    LogReviewItem,
    ReviewOutcome,
    Verdict,
)
from vardkontakt.directory.models import Unit
from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.hsa import normalize_hsa_id
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.ids import first_by_id
from vardkontakt.roles.models import Role

MAX_SPAN_DAYS = 366  # a period of at most one year (a leap year's too)
SAMPLE_MIN = 1
SAMPLE_MAX = 200
COMMENT_MAX = 2000
SUMMARY_MAX = 5000

READ = "logreview.read"
EXPORT = "logreview.export"


def _log_reading(
    staff: Staff,
    unit: Unit,
    subject_ids: Iterable[object],
    *,
    action: str,
    object_type: str,
    object_id: object,
    shown: bool,
) -> None:
    """One access-log row per resident shown (or named by the filter); one without a resident when
    rows about no resident were shown."""
    subjects = sorted({str(ident) for ident in subject_ids if ident})
    residents: list[Resident | None] = [Resident(pk=uuid.UUID(subject_id)) for subject_id in subjects]
    for subject in residents or ([None] if shown else []):
        record(
            actor=staff.user,
            acting_role=Role.LOG_REVIEWER,
            action=action,
            object_type=object_type,
            object_id=object_id,
            unit=unit,
            subject=subject,
        )


# --- Filters --------------------------------------------------------------------------------------


def _period(date_from: date | None, date_to: date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if date_from is None:
        errors["date_from"] = _("Ange ett startdatum.")
    if date_to is None:
        errors["date_to"] = _("Ange ett slutdatum.")
    if errors or date_from is None or date_to is None:
        return errors
    if date_to > today:
        errors["date_to"] = _("Slutdatumet kan inte vara senare än i dag.")
    if date_from > date_to:
        errors["date_from"] = _("Startdatumet kan inte vara senare än slutdatumet.")
    elif (date_to - date_from).days >= MAX_SPAN_DAYS:
        errors["date_from"] = _("Perioden kan vara högst ett år. Välj ett senare startdatum.")
    return errors


def create_filter(
    *,
    staff: Staff,
    unit_id: object,
    hsa_id: str,
    personnummer: str,
    date_from: date | None,
    date_to: date | None,
) -> LogFilter:
    """Store a reviewer's filter of a unit's log. The personnummer is sealed, and looked up by its
    blind index; an unknown number or HSA-id is not an error (nobody has rows by it), so the filter
    never tells whether someone is known to Vårdkontakt."""
    unit = first_by_id(policy.review_units(staff), unit_id)
    if unit is None:
        raise Http404
    errors = _period(date_from, date_to)
    hsa = ""
    if hsa_id.strip():
        try:
            hsa = normalize_hsa_id(hsa_id)
        except ValidationError as exc:
            errors["staff_hsa_id"] = exc.messages[0]
    number: pnr.Personnummer | None = None
    if personnummer.strip():
        try:
            number = pnr.parse(personnummer)
        except ValidationError as exc:
            errors["personnummer"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    assert date_from is not None and date_to is not None
    with transaction.atomic():
        highest = AccessLogEntry.objects.aggregate(highest=Max("id"))["highest"] or 0
        log_filter = LogFilter(
            unit=unit,
            created_by=staff,
            staff_hsa_id=hsa,
            date_from=date_from,
            date_to=date_to,
            upto_entry_id=highest,
        )
        if number is not None:
            log_filter.personnummer = number.digits
            log_filter.pnr_index = Resident.index_for(number.digits)
        log_filter.save()
        return log_filter


def visible_filter(staff: Staff, filter_id: object) -> LogFilter:
    """The reviewer's own filter at a unit they review (reads no log rows), or 404."""
    log_filter = first_by_id(policy.filters_visible_to(staff).select_related("unit"), filter_id)
    if log_filter is None:
        raise Http404
    return log_filter


@dataclass(frozen=True)
class FilterPage:
    log_filter: LogFilter
    rows: list[review.Row]
    next_cursor: str | None
    total: int
    resident: Resident | None  # the resident the filter names, if known and they have rows here


@transaction.atomic
def read_filter_page(staff: Staff, filter_id: object, after: str = "") -> FilterPage:
    """One page of a filter's rows, with the reading written to the access log."""
    log_filter = visible_filter(staff, filter_id)
    entries = review.filtered_entries(staff, log_filter)
    page, next_cursor = review.page_newest_first(entries, after)
    total = entries.count()
    named = review.filter_resident(log_filter)
    _log_reading(
        staff,
        log_filter.unit,
        [e.subject_id for e in page] + [named.pk if named else None],
        action=READ,
        object_type="LogFilter",
        object_id=log_filter.pk,
        shown=bool(page),
    )
    # A name is shown only for someone the unit's log knows: the filter is no look-up of names.
    shown_resident = named if named is not None and total else None
    return FilterPage(log_filter, review.present(page), next_cursor, total, shown_resident)


# --- Exports --------------------------------------------------------------------------------------


EXPORT_CHUNK = 500


def _chunks(entries: Iterator[AccessLogEntry]) -> Iterator[list[review.Row]]:
    batch: list[AccessLogEntry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == EXPORT_CHUNK:
            yield review.present(batch)
            batch = []
    if batch:
        yield review.present(batch)


def export_filter(staff: Staff, filter_id: object) -> tuple[LogFilter, Iterator[review.Row]]:
    """Every row of a filter, oldest first, for a CSV file. The export is written to the access log
    (one row per resident in it) before the first byte is sent; the rows are then read in batches as
    the file streams. The filter's set is frozen (``upto_entry_id``), so the file holds exactly the
    rows whose residents were logged."""
    with transaction.atomic():
        log_filter = visible_filter(staff, filter_id)
        entries = review.filtered_entries(staff, log_filter)
        subjects = entries.exclude(subject__isnull=True).values_list("subject_id", flat=True).distinct()
        named = review.filter_resident(log_filter)
        _log_reading(
            staff,
            log_filter.unit,
            [*subjects, named.pk if named else None],
            action=EXPORT,
            object_type="LogFilter",
            object_id=log_filter.pk,
            shown=entries.exists(),
        )

    def rows() -> Iterator[review.Row]:
        for chunk in _chunks(entries.order_by("at", "pk").iterator(chunk_size=EXPORT_CHUNK)):
            yield from chunk

    return log_filter, rows()


# --- Reviews --------------------------------------------------------------------------------------


def _sample_size(size: object, population: int) -> int:
    try:
        wanted = int(str(size).strip())
    except ValueError:
        wanted = 0
    if not SAMPLE_MIN <= wanted <= SAMPLE_MAX:
        raise ValidationError(
            {
                "size": _("Välj ett antal mellan %(min)d och %(max)d.")
                % {"min": SAMPLE_MIN, "max": SAMPLE_MAX}
            },
            code="size",
        )
    if population == 0:
        raise ValidationError(
            {"size": _("Det finns inga loggposter i urvalet att dra ett stickprov ur.")}, code="empty"
        )
    if wanted > population:
        raise ValidationError(
            {
                "size": ngettext(
                    "Urvalet har bara %(count)d loggpost. Välj ett antal mellan 1 och %(count)d.",
                    "Urvalet har bara %(count)d loggposter. Välj ett antal mellan 1 och %(count)d.",
                    population,
                )
                % {"count": population}
            },
            code="size",
        )
    return wanted


def draw_sample(*, staff: Staff, filter_id: object, size: object, idempotency_key: uuid.UUID) -> LogReview:
    """Draw ``size`` rows at random (``secrets.SystemRandom``) from a filter's set and store them as a
    review to work through. A repeated submit with the same key returns the review the first made."""
    existing = LogReview.objects.filter(drawn_by=staff, idempotency_key=idempotency_key).first()
    if existing is not None and policy.reviews_visible_to(staff).filter(pk=existing.pk).exists():
        return existing
    try:
        with transaction.atomic():
            log_filter = visible_filter(staff, filter_id)
            ids = list(review.filtered_entries(staff, log_filter).values_list("id", flat=True))
            wanted = _sample_size(size, len(ids))
            chosen = sorted(secrets.SystemRandom().sample(ids, wanted))
            sample = LogReview.objects.create(
                unit=log_filter.unit,
                filter=log_filter,
                drawn_by=staff,
                population=len(ids),
                idempotency_key=idempotency_key,
            )
            LogReviewItem.objects.bulk_create(
                LogReviewItem(review=sample, entry_id=entry_id, position=position)
                for position, entry_id in enumerate(chosen, start=1)
            )
            return sample
    except IntegrityError:
        existing = LogReview.objects.filter(drawn_by=staff, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


@dataclass(frozen=True)
class Item:
    item: LogReviewItem
    row: review.Row
    conclusions: list[LogReviewConclusion]  # oldest first

    @property
    def latest(self) -> LogReviewConclusion | None:
        return self.conclusions[-1] if self.conclusions else None


def _items(items: list[LogReviewItem]) -> list[Item]:
    entries = AccessLogEntry.objects.in_bulk([i.entry_id for i in items])
    rows = {row.entry.pk: row for row in review.present(entries[i.entry_id] for i in items)}
    conclusions: dict[int, list[LogReviewConclusion]] = {}
    for conclusion in (
        LogReviewConclusion.objects.filter(item__in=[i.pk for i in items])
        .select_related("by")
        .order_by("at", "id")
    ):
        conclusions.setdefault(conclusion.item_id, []).append(conclusion)
    return [Item(i, rows[i.entry_id], conclusions.get(i.pk, [])) for i in items]


def visible_review(staff: Staff, review_id: object, *, for_update: bool = False) -> LogReview:
    """A review of a unit the reviewer reviews (reads no log rows), or 404."""
    reviews = policy.reviews_visible_to(staff)
    if for_update:
        reviews = reviews.select_for_update(of=("self",))
    found = first_by_id(reviews.select_related("unit", "filter", "drawn_by", "closed_by"), review_id)
    if found is None:
        raise Http404
    return found


def _read_sample(staff: Staff, review_id: object, action: str) -> tuple[LogReview, list[Item]]:
    """A review with its sampled rows and their conclusions; the reading (``action``) is written to
    the log in the same transaction."""
    with transaction.atomic():
        sample = visible_review(staff, review_id)
        items = _items(list(sample.items.order_by("position")))
        _log_reading(
            staff,
            sample.unit,
            [i.row.entry.subject_id for i in items],
            action=action,
            object_type="LogReview",
            object_id=sample.pk,
            shown=bool(items),
        )
        return sample, items


def read_review(staff: Staff, review_id: object) -> tuple[LogReview, list[Item]]:
    """A review with its sampled rows and their conclusions; the reading is written to the log."""
    return _read_sample(staff, review_id, READ)


@transaction.atomic
def read_review_item(staff: Staff, review_id: object, position: int) -> tuple[LogReview, Item]:
    """One sampled row of a review with its conclusions; the reading is written to the log."""
    sample = visible_review(staff, review_id)
    item = sample.items.filter(position=position).first()
    if item is None:
        raise Http404
    (found,) = _items([item])
    _log_reading(
        staff,
        sample.unit,
        [found.row.entry.subject_id],
        action=READ,
        object_type="LogReview",
        object_id=sample.pk,
        shown=True,
    )
    return sample, found


def _closed_error() -> ValidationError:
    return ValidationError(_("Granskningen är avslutad och kan inte ändras."), code="closed")


@transaction.atomic
def conclude(
    *, staff: Staff, review_id: object, position: int, verdict: str, comment: str
) -> LogReviewConclusion:
    """Add a conclusion about one sampled row. Conclusions are appended, never changed; the latest
    one about a row is the one that counts."""
    sample = visible_review(staff, review_id, for_update=True)
    if sample.is_closed:
        raise _closed_error()
    item = sample.items.filter(position=position).first()
    if item is None:
        raise Http404
    errors: dict[str, str] = {}
    if verdict not in Verdict.values:
        errors["verdict"] = _("Välj en slutsats.")
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        errors["comment"] = _("Kommentaren är för lång: högst %(max)d tecken.") % {"max": COMMENT_MAX}
    elif not text and verdict in (Verdict.NOT_JUSTIFIED, Verdict.FOLLOW_UP):
        errors["comment"] = _("Skriv en kommentar om vad som har följts upp eller behöver följas upp.")
    if errors:
        raise ValidationError(errors)
    conclusion = LogReviewConclusion(item=item, verdict=verdict, by=staff)
    if text:
        conclusion.comment = text
    conclusion.save()
    return conclusion


def latest_verdicts(sample: LogReview) -> dict[int, str]:
    """The verdict that counts for each sampled row that has one, by item id."""
    latest: dict[int, str] = {}
    for item_id, verdict in (
        LogReviewConclusion.objects.filter(item__review=sample)
        .order_by("at", "id")
        .values_list("item_id", "verdict")
    ):
        latest[item_id] = verdict
    return latest


@transaction.atomic
def close_review(*, staff: Staff, review_id: object, outcome: str, summary: str) -> LogReview:
    """Close a review with its overall conclusion, once every sampled row has a conclusion and none
    still needs follow-up. A closed review takes no more conclusions."""
    sample = visible_review(staff, review_id, for_update=True)
    if sample.is_closed:
        raise _closed_error()
    verdicts = latest_verdicts(sample)
    missing = sample.items.exclude(pk__in=list(verdicts)).count()
    if missing:
        raise ValidationError(
            ngettext(
                "%(count)d loggpost i stickprovet saknar slutsats. Alla behöver en slutsats innan granskningen kan avslutas.",
                "%(count)d loggposter i stickprovet saknar slutsats. Alla behöver en slutsats innan granskningen kan avslutas.",
                missing,
            )
            % {"count": missing},
            code="incomplete",
        )
    pending = sum(1 for v in verdicts.values() if v == Verdict.FOLLOW_UP)
    if pending:
        raise ValidationError(
            ngettext(
                "%(count)d loggpost behöver fortfarande följas upp. Lägg till en ny slutsats när den är uppföljd.",
                "%(count)d loggposter behöver fortfarande följas upp. Lägg till en ny slutsats när de är uppföljda.",
                pending,
            )
            % {"count": pending},
            code="pending",
        )
    errors: dict[str, str] = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = _("Välj en samlad bedömning.")
    elif outcome == ReviewOutcome.NO_REMARKS and Verdict.NOT_JUSTIFIED in verdicts.values():
        errors["outcome"] = _(
            "Stickprovet har loggposter som inte var befogade. Välj Anmärkningar som samlad bedömning."
        )
    text = (summary or "").strip()
    if not text:
        errors["summary"] = _("Skriv granskningens slutsats.")
    elif len(text) > SUMMARY_MAX:
        errors["summary"] = _("Slutsatsen är för lång: högst %(max)d tecken.") % {"max": SUMMARY_MAX}
    if errors:
        raise ValidationError(errors)
    sample.closed_at = timezone.now()
    sample.closed_by = staff
    sample.outcome = outcome
    sample.summary = text
    sample.save(update_fields=["closed_at", "closed_by", "outcome", "summary_sealed"])
    return sample


def export_review(staff: Staff, review_id: object) -> tuple[LogReview, list[Item]]:
    """A review's sampled rows with their latest conclusions, for a CSV file; written to the log
    (one row per resident in it) in the same transaction as the read. At most 200 rows: no batches."""
    return _read_sample(staff, review_id, EXPORT)


def default_period() -> tuple[date, date]:
    """The period the form starts with: the last 30 days."""
    today = timezone.localdate()
    return today - timedelta(days=30), today
