"""What the case lists share, in the pages and in the API: the staff inbox's tabs, the choice of
clinic, and paging by keyset on (last_activity, id), newest first, never by OFFSET."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from vardkontakt.cases import policy
from vardkontakt.cases.models import AuthorKind, Case, CaseStatus, Message
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Resident, User
from vardkontakt.ids import parse_uuid

PAGE_SIZE = 25
UNANSWERED = (CaseStatus.SENT, CaseStatus.DISTRIBUTED, CaseStatus.INTERIM)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def filter_by_tab(cases: QuerySet[Case], tab: str) -> QuerySet[Case]:
    if tab == "fordelade":
        return cases.filter(status__in=[CaseStatus.DISTRIBUTED, CaseStatus.INTERIM])
    if tab == "forsenade":
        # Not yet answered, and the date promised to the resident has passed.
        return cases.filter(status__in=UNANSWERED, promised_by__lt=timezone.localdate())
    if tab == "besvarade":
        return cases.filter(status=CaseStatus.ANSWERED)
    if tab == "avslutade":
        return cases.filter(status=CaseStatus.CLOSED)
    return cases.filter(status=CaseStatus.SENT)


# --- Keyset pagination on (last_activity, id), newest first ---------------------------------------


def _cursor(case: Case) -> str:
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
    cases: QuerySet[Case], after: str, size: int = PAGE_SIZE
) -> tuple[list[Case], str | None]:
    """One page of ``cases``, newest activity first, starting after the cursor; and the next cursor.
    A malformed cursor is answered like a malformed id: 404."""
    if after:
        position = _after(after)
        if position is None:
            raise Http404
        at, key = position
        cases = cases.filter(Q(last_activity__lt=at) | Q(last_activity=at, pk__lt=key))
    rows = list(cases.order_by("-last_activity", "-pk")[: size + 1])
    if len(rows) > size:
        return rows[:size], _cursor(rows[size - 1])
    return rows, None


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


def resident_inbox_page(
    resident: Resident, after: str = "", *, by: User | None = None, archived: bool = False
) -> tuple[list[Case], str | None]:
    """One page of the resident's cases, newest activity first, by keyset on (last_activity, id):
    the cases after the cursor, and the cursor of the next page if there is one. ``by`` is who looks
    (a guardian in proxy mode: policy.cases_of_resident); ``archived`` picks the "Arkiverade" view.

    The page is taken first, through the (resident, archived_by_resident, last_activity) index, and
    the unread messages are then counted for that page only: counting in the same query would group
    every message of the resident's whole history before the limit applies."""
    cases = (
        policy.cases_of_resident(resident, by=by)
        .filter(archived_by_resident=archived)
        .select_related("unit", "case_type")
    )
    rows, next_cursor = page_by_activity(cases, after, RESIDENT_PAGE_SIZE)
    unread = dict(
        Message.objects.filter(
            case__in=[row.pk for row in rows],
            author_kind=AuthorKind.STAFF,
            read_by_resident_at__isnull=True,
        )
        .values("case")
        .annotate(count=Count("id"))
        .values_list("case", "count")
    )
    for row in rows:
        row.unread = unread.get(row.pk, 0)  # type: ignore[attr-defined]
    return rows, next_cursor
