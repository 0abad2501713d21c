"""Reading a unit's access log for review: the filtered set, paging by keyset, and rows as people read
them (staff by name and HSA-id from Staff, residents by name and personnummer from Resident).

Nothing here checks access or writes the log: actions.py does both, and calls these."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from vardkontakt.audit import policy
from vardkontakt.audit.models import AccessLogEntry, LogFilter
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.ids import M
from vardkontakt.roles.models import Role

PAGE_SIZE = 25
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What each action of the log means, for people. An action without a label is shown as written.
ACTION_LABELS: dict[str, Any] = {
    "case.read": gettext_lazy("Läste ärende"),
    "attachment.read": gettext_lazy("Hämtade bilaga"),
    "bulk.read": gettext_lazy("Läste resultat av utskick"),
    "role.grant": gettext_lazy("Gav behörighet"),
    "role.revoke": gettext_lazy("Tog bort behörighet"),
    "logreview.read": gettext_lazy("Granskade loggen"),
    "logreview.export": gettext_lazy("Exporterade loggen"),
}


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the service's time zone (Europe/Stockholm)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_entries(staff: Staff, log_filter: LogFilter) -> QuerySet[AccessLogEntry]:
    """The rows of the filter's unit that it selects, as they were when the filter was made."""
    entries = policy.entries_visible_to(staff).filter(
        unit=log_filter.unit_id,
        at__gte=start_of(log_filter.date_from),
        at__lt=start_of(log_filter.date_to + timedelta(days=1)),
        id__lte=log_filter.upto_entry_id,
    )
    if log_filter.staff_hsa_id:
        members = Staff.objects.filter(hsa_id=log_filter.staff_hsa_id).values("user_id")
        entries = entries.filter(actor__in=members)
    if log_filter.pnr_index:
        people = Resident.objects.filter(pnr_index=log_filter.pnr_index).values("id")
        entries = entries.filter(subject__in=people)
    return entries


def filter_resident(log_filter: LogFilter) -> Resident | None:
    """The resident a filter names, if Vårdkontakt knows the number."""
    if not log_filter.pnr_index:
        return None
    return Resident.objects.filter(pnr_index=log_filter.pnr_index).first()


# --- Keyset paging on (time, id), newest first ----------------------------------------------------


def cursor_time(at: datetime) -> str:
    return str((at - _EPOCH) // timedelta(microseconds=1))


def parse_cursor_time(micros: str) -> datetime | None:
    if not micros.isdigit() or len(micros) > 20:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        return None


def entry_key(ident: str) -> int | None:
    """An access-log row's id from a cursor, or None."""
    return int(ident) if ident.isdigit() and len(ident) <= 19 else None


def _after(value: str, key: Callable[[str], object | None]) -> tuple[datetime, object] | None:
    micros, _sep, ident = value.partition(".")
    at = parse_cursor_time(micros)
    pk = key(ident)
    if at is None or pk is None:
        return None
    return at, pk


def page_newest_first(
    rows: QuerySet[M],
    after: str,
    size: int = PAGE_SIZE,
    *,
    field: str = "at",
    key: Callable[[str], object | None] = entry_key,
) -> tuple[list[M], str | None]:
    """One page of ``rows``, newest ``field`` first, after the cursor; and the next cursor, if any.
    ``key`` reads the row id from a cursor. A malformed cursor is answered like a malformed id: 404."""
    if after:
        position = _after(after, key)
        if position is None:
            raise Http404
        at, pk = position
        rows = rows.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk}))
    page = list(rows.order_by(f"-{field}", "-pk")[: size + 1])
    if len(page) > size:
        last = page[size - 1]
        return page[:size], f"{cursor_time(getattr(last, field))}.{last.pk}"
    return page, None


# --- Rows as people read them -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    entry: AccessLogEntry
    staff_name: str
    staff_hsa_id: str
    role: str
    resident_name: str
    resident_pnr: str
    action: str

    @property
    def at(self) -> datetime:
        return timezone.localtime(self.entry.at)


def format_pnr(digits: str) -> str:
    return f"{digits[:8]}-{digits[8:]}" if len(digits) == 12 else digits


def role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def present(entries: Iterable[AccessLogEntry]) -> list[Row]:
    """The rows with the names behind their ids, fetched in two queries for the whole batch."""
    entries = list(entries)
    staff = {
        member.user_id: member
        for member in Staff.objects.filter(user_id__in={e.actor_id for e in entries if e.actor_id})
    }
    residents = Resident.objects.in_bulk({e.subject_id for e in entries if e.subject_id})
    rows = []
    for entry in entries:
        member = staff.get(entry.actor_id) if entry.actor_id else None
        person = residents.get(entry.subject_id) if entry.subject_id else None
        rows.append(
            Row(
                entry=entry,
                staff_name=member.full_name if member else "",
                staff_hsa_id=member.hsa_id if member else "",
                role=role_label(entry.acting_role),
                resident_name=person.full_name if person else "",
                resident_pnr=format_pnr(person.personnummer) if person else "",
                action=action_label(entry.action),
            )
        )
    return rows
