"""What the case lists share, in the pages and in the API: the staff inbox's tabs, the choice of
clinic, and paging by keyset on (last_activity, id), newest first, never by OFFSET."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    IntegerField,
    Q,
    QuerySet,
    UUIDField,
)
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from vardkontakt.cases import policy
from vardkontakt.cases.models import AuthorKind, Case, CaseStatus
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.ids import parse_uuid
from vardkontakt.statements import Param, Statements

PAGE_SIZE = 25
UNANSWERED = (CaseStatus.SENT, CaseStatus.DISTRIBUTED, CaseStatus.INTERIM)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Row = TypeVar("_Row")


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any


TABS = (
    Tab("nya", gettext_lazy("Nya")),
    Tab("fordelade", gettext_lazy("Fördelade")),
    Tab("forsenade", gettext_lazy("Försenade")),
    Tab("besvarade", gettext_lazy("Besvarade")),
    Tab("avslutade", gettext_lazy("Avslutade")),
)


def filter_by_tab(cases: QuerySet[Case], tab: str, today: date | Param | None = None) -> QuerySet[Case]:
    """The cases of an inbox tab; ``today`` (a Param in a Statement) tells which are overdue."""
    if tab == "fordelade":
        return cases.filter(status__in=[CaseStatus.DISTRIBUTED, CaseStatus.INTERIM])
    if tab == "forsenade":
        # Not yet answered, and the date promised to the resident has passed.
        day = timezone.localdate() if today is None else today
        return cases.filter(status__in=UNANSWERED, promised_by__lt=day)
    if tab == "besvarade":
        return cases.filter(status=CaseStatus.ANSWERED)
    if tab == "avslutade":
        return cases.filter(status=CaseStatus.CLOSED)
    return cases.filter(status=CaseStatus.SENT)


# --- Keyset pagination on (last_activity, id), newest first ---------------------------------------


def _cursor(case: Any) -> str:
    micros = (case.last_activity - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{case.pk.hex}"


def _after(value: str) -> tuple[datetime, uuid.UUID] | None:
    micros, _sep, ident = value.partition(".")
    key = parse_uuid(ident)
    if not micros.isdigit() or len(micros) > 20 or key is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), key
    except OverflowError:
        return None


def page_by_activity(
    cases: QuerySet[Case, _Row], after: str, size: int = PAGE_SIZE
) -> tuple[list[_Row], str | None]:
    """One page of ``cases``, newest activity first, starting after the cursor; and the next cursor.
    The rows are what ``cases`` gives (model instances, or named rows with ``pk`` and
    ``last_activity``). A malformed cursor is answered like a malformed id: 404."""
    position = _position(after)
    if position is not None:
        cases = _past(cases, *position)
    return _split(list(_newest_first(cases, size)), size)


def _position(after: str) -> tuple[datetime, uuid.UUID] | None:
    """The keyset position of a cursor ("" for the first page: None); a malformed one is a 404."""
    if not after:
        return None
    position = _after(after)
    if position is None:
        raise Http404
    return position


def _past(cases: QuerySet[Case, _Row], at: object, key: object) -> QuerySet[Case, _Row]:
    """The cases after the position (``at``, ``key``) in newest-first order (values or Params)."""
    return cases.filter(Q(last_activity__lt=at) | Q(last_activity=at, pk__lt=key))


def _newest_first(cases: QuerySet[Case, _Row], size: int) -> QuerySet[Case, _Row]:
    """A page of ``cases`` and one row more, which tells whether there is a next page."""
    return cases.order_by("-last_activity", "-pk")[: size + 1]


def _split(rows: list[_Row], size: int) -> tuple[list[_Row], str | None]:
    if len(rows) > size:
        return rows[:size], _cursor(rows[size - 1])
    return rows, None


ClinicPageForm = tuple[str | None, str, bool, tuple[str, ...]]


def _clinic_query(form: ClinicPageForm) -> QuerySet[Case, Any]:
    """A clinic inbox page of one form: how the member reads at the clinic (policy.reads_at), a tab
    or "#" for a case number, first page or after a position, the columns."""
    reads, tab, past, columns = form
    cases = policy.cases_read_at(Param("unit", UUIDField()), reads, Param("staff", UUIDField()))
    if tab == "#":
        cases = cases.filter(number=Param("number", CharField()))
    else:
        cases = filter_by_tab(cases, tab, Param("today", DateField()))
    if past:
        cases = _past(cases, Param("at", DateTimeField()), Param("key", UUIDField()))
    return _newest_first(cases.values_list(*columns, named=True), PAGE_SIZE)


_CLINIC_PAGES: Statements[ClinicPageForm, Any] = Statements(_clinic_query)


def clinic_page(
    staff: Staff, unit: Unit, columns: tuple[str, ...], *, tab: str, number: str, after: str
) -> tuple[list[Any], str | None]:
    """One page of a clinic inbox: the cases of ``unit`` that ``staff`` reads there
    (policy.cases_visible_to_staff(staff, unit=unit)), the case numbered ``number`` or else those of
    ``tab``, newest activity first after the cursor, as named rows of ``columns``. Each form of the
    page (how staff reads there, tab or number, first page or not) is a statement compiled once."""
    reads = policy.reads_at(staff, unit)
    position = _position(after)
    statement = _CLINIC_PAGES[(reads, "#" if number else tab, position is not None, columns)]
    values: dict[str, Any] = {"unit": unit.pk}
    if reads == "own":
        values["staff"] = staff.pk
    if number:
        values["number"] = number
    elif tab == "forsenade":
        values["today"] = timezone.localdate()
    if position is not None:
        values.update(at=position[0], key=position[1])
    return _split(statement.all(**values), PAGE_SIZE)


def chosen_unit(units: list[Unit], value: str) -> Unit:
    """The clinic picked in the inbox (the first one if none): only among the member's own."""
    if not value:
        return units[0]
    wanted = parse_uuid(value)
    for unit in units:
        if unit.pk == wanted:
            return unit
    raise Http404


UNIT_PARAM = "enhet"


def unit_of_request(request: HttpRequest, units: list[Unit]) -> Unit:
    """The clinic a settings page works on: ``unit`` of a POST, ``?enhet=`` of a GET (chosen_unit)."""
    value = request.POST.get("unit", "") if request.method == "POST" else request.GET.get(UNIT_PARAM, "")
    return chosen_unit(units, value)


RESIDENT_PAGE_SIZE = 20


class InboxRow(NamedTuple):
    """One case of the resident's inbox, as the page and the API show it."""

    pk: uuid.UUID
    number: str
    subject: str
    status: str
    last_activity: datetime
    promised_by: date
    unit_id: uuid.UUID
    unit_name: str
    case_type_id: uuid.UUID
    case_type_name: str
    unread: int  # messages from the clinic the resident has not opened


_INBOX_COLUMNS = (
    "pk",
    "number",
    "subject_sealed",
    "status",
    "last_activity",
    "promised_by",
    "unit_id",
    "unit__name",
    "case_type_id",
    "case_type__name",
    "unread",
)

# The unread messages from the clinic, counted for each row of the page (a correlated subquery: the
# database runs it only for the rows the LIMIT keeps, through the messages' case index). Written in
# SQL because building the same Subquery(Count(...)) in the ORM costs more per request (~0.3 ms of
# CPU) than the database spends running it.
_UNREAD = RawSQL(
    'SELECT COUNT(*) FROM "cases_message" WHERE "cases_message"."case_id" = "cases_case"."id"'
    ' AND "cases_message"."author_kind" = %s AND "cases_message"."read_by_resident_at" IS NULL',
    (AuthorKind.STAFF.value,),
    output_field=IntegerField(),
)


def _subject(pk: uuid.UUID, sealed: Any) -> str:
    """The case's subject in clear, as ``Case.subject`` opens it (crypto.fields)."""
    return Case.subject.open_row(Case, pk, sealed) or ""


def _inbox_rows(cases: QuerySet[Case], archived: bool | Param) -> QuerySet[Case, Any]:
    return (
        cases.filter(archived_by_resident=archived)  # type: ignore[misc]
        .annotate(unread=_UNREAD)
        .values_list(*_INBOX_COLUMNS)
    )


def _own_inbox(past: bool) -> QuerySet[Case, Any]:
    """A page of a resident's own inbox, first (``past`` False) or after a position."""
    cases = _inbox_rows(policy.own_cases(Param("resident", UUIDField())), Param("archived", BooleanField()))
    if past:
        cases = _past(cases, Param("at", DateTimeField()), Param("key", UUIDField()))
    return _newest_first(cases, RESIDENT_PAGE_SIZE)


_OWN_INBOX: Statements[bool, Any] = Statements(_own_inbox)


def resident_inbox_page(
    resident: Resident, after: str = "", *, by: User | None = None, archived: bool = False
) -> tuple[list[InboxRow], str | None]:
    """One page of the resident's cases, newest activity first, by keyset on (last_activity, id):
    the cases after the cursor, and the cursor of the next page if there is one. ``by`` is who looks
    (a guardian in proxy mode: policy.cases_of_resident); ``archived`` picks the "Arkiverade" view.

    One statement: the page through the (resident, archived_by_resident, last_activity) index, the
    clinic's and the type's names, and the unread messages counted for the rows of the page only
    (counting in a join would group every message of the resident's whole history before the limit
    applies). The rows are the columns shown, not model instances of three tables. The resident's
    own inbox, the page every resident opens, is a statement compiled once (vardkontakt.statements);
    a guardian's view of a child's cases is built for the guardian's blocks."""
    position = _position(after)
    if by is None or by.pk == resident.user_id:
        values: dict[str, Any] = {"resident": resident.pk, "archived": archived}
        if position is not None:
            values.update(at=position[0], key=position[1])
        rows = _OWN_INBOX[position is not None].all(**values)
    else:
        cases = _inbox_rows(policy.cases_of_resident(resident, by=by), archived)
        if position is not None:
            cases = _past(cases, *position)
        rows = list(_newest_first(cases, RESIDENT_PAGE_SIZE))
    # The rows come in InboxRow's order with the subject still sealed; only the page's are opened.
    page, next_cursor = _split([InboxRow(*row) for row in rows], RESIDENT_PAGE_SIZE)
    return [row._replace(subject=_subject(row.pk, row.subject)) for row in page], next_cursor
