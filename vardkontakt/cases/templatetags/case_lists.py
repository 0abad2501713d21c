"""Filters for the rows of the case lists (the resident's inbox, the clinic inbox, "my cases"), and
the rows of the staff tables (a tag) and of the resident's inbox (for its view), built in Python.

A list renders each of these once per row, where Django's general tags cost many times more per call:
``{% url %}`` matches the URL pattern again for every row, ``get_status_display`` translates every
label of the field's choices to find one, and the ``date`` filter interprets its format string each
time. The output is the same as theirs (tests/test_case_lists_filters.py)."""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vardkontakt.cases.models import AuthorKind, CaseStatus
from vardkontakt.ids import ID_PLACEHOLDERS, url_pattern

register = template.Library()

_PLACEHOLDER, _SECOND = ID_PLACEHOLDERS


@register.filter
def url_with_id(pk: object, name: str) -> str:
    """``{{ case.pk|url_with_id:"cases:detail" }}`` is ``{% url "cases:detail" case.pk %}`` for a
    URL whose only argument is a ``<str:…>`` id."""
    return url_pattern(name).replace(_PLACEHOLDER, str(pk), 1)


@register.filter
def status_label(status: str) -> Any:
    """``{{ case.status|status_label }}`` is ``{{ case.get_status_display }}``."""
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


@register.filter(expects_localtime=True)
def iso_minute(value: datetime.datetime | None) -> str:
    """``{{ at|iso_minute }}`` is ``{{ at|date:"Y-m-d H:i" }}`` (in the current time zone)."""
    if not isinstance(value, datetime.datetime):
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


@register.filter(expects_localtime=True)
def iso_day(value: datetime.date | None) -> str:
    """``{{ day|iso_day }}`` is ``{{ day|date:"Y-m-d" }}`` (a datetime in the current time zone)."""
    if not isinstance(value, datetime.date):
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


# The rows of the staff case tables (cases/staff_case_table.html), built here: a template loop pays
# for every variable, filter and {% if %} of every row again (most of the page's template time);
# this prints the same HTML. The tests compare it with the template loop it replaced.
_ROW = (
    '\n    <tr class="govuk-table__row">'
    '\n      <td class="govuk-table__cell"><a class="govuk-link" href="{url}">{number}</a></td>'
    "\n      {resident}"
    '\n      <td class="govuk-table__cell">{case_type}</td>'
    '\n      <td class="govuk-table__cell">{created}</td>'
    '\n      <td class="govuk-table__cell">{promised}{late}</td>'
    '\n      <td class="govuk-table__cell">{handler}</td>'
    '\n      <td class="govuk-table__cell">{status}</td>'
    "\n    </tr>\n    "
)
_NOT_LATE = frozenset({CaseStatus.ANSWERED.value, CaseStatus.CLOSED.value})


@register.simple_tag
def staff_case_rows(cases: Iterable[Any], show_resident: bool, today: datetime.date) -> SafeString:
    """``{% staff_case_rows cases show_resident today %}``: one table row per case. Each case is a
    row of views_staff.CASE_ROW_FIELDS (pk, number, status, created_at, promised_by, case_type__name,
    resident__given_name/family_name, handler_id, handler__given_name/family_name)."""
    not_distributed = html.escape(_("Ej fördelat"))
    late = f' <strong class="govuk-tag govuk-tag--red">{html.escape(_("Försenat"))}</strong>'
    url = url_with_id(_PLACEHOLDER, "staff_cases:detail")
    zone = timezone.get_current_timezone()
    labels: dict[str, str] = {}
    rows = []
    for case in cases:
        label = labels.get(case.status)
        if label is None:
            label = labels[case.status] = html.escape(str(status_label(case.status)))
        rows.append(
            _ROW.format(
                url=url.replace(_PLACEHOLDER, str(case.pk), 1),
                number=html.escape(case.number),
                resident=(
                    f'<td class="govuk-table__cell">'
                    f"{html.escape(f'{case.resident__given_name} {case.resident__family_name}')}</td>"
                    if show_resident
                    else ""
                ),
                case_type=html.escape(case.case_type__name),
                created=iso_minute(case.created_at.astimezone(zone)),
                promised=iso_day(case.promised_by),
                late=late if case.promised_by < today and case.status not in _NOT_LATE else "",
                handler=(
                    html.escape(f"{case.handler__given_name} {case.handler__family_name}")
                    if case.handler_id is not None
                    else not_distributed
                ),
                status=label,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


# The rows of the resident's inbox table (cases/resident_inbox.html), built the same way; the view
# passes them in (tests/test_resident_inbox.py compares them with the template loop they replaced).
_INBOX_ROW = (
    '\n        <tr class="govuk-table__row">'
    '\n          <td class="govuk-table__cell">'
    '\n            <a class="govuk-link" href="{url}">{subject}</a>'
    '\n            <span class="govuk-body-s govuk-!-display-block">{number}</span>'
    "\n          </td>"
    '\n          <td class="govuk-table__cell">{unit}</td>'
    '\n          <td class="govuk-table__cell">{case_type}</td>'
    '\n          <td class="govuk-table__cell"><strong class="govuk-tag{tag}">{status}</strong></td>'
    '\n          <td class="govuk-table__cell">{unread}</td>'
    '\n          <td class="govuk-table__cell">{promised}</td>'
    "\n        </tr>\n        "
)
_STATUS_TAGS = {CaseStatus.CLOSED.value: " govuk-tag--grey", CaseStatus.ANSWERED.value: " govuk-tag--green"}
_NO_DATE = frozenset({CaseStatus.ANSWERED.value, CaseStatus.CLOSED.value})  # nothing is promised any more


def resident_case_rows(cases: Iterable[Any], today: datetime.date) -> SafeString:
    """One table row per case of the resident's inbox (rows of lists.InboxRow)."""
    no_unread = f'<span class="govuk-visually-hidden">{html.escape(_("Inga olästa"))}</span>'
    late = f' <strong class="govuk-tag govuk-tag--red">{html.escape(_("Försenat"))}</strong>'
    labels: dict[str, str] = {}
    rows = []
    for case in cases:
        label = labels.get(case.status)
        if label is None:
            label = labels[case.status] = html.escape(str(status_label(case.status)))
        if case.status in _NO_DATE:
            promised = "–"
        else:
            promised = iso_day(case.promised_by) + (late if case.promised_by < today else "")
        if case.unread:
            text = ngettext("%(counter)s oläst", "%(counter)s olästa", case.unread) % {"counter": case.unread}
            unread = f'<strong class="govuk-tag govuk-tag--blue">{text}</strong>'
        else:
            unread = no_unread
        rows.append(
            _INBOX_ROW.format(
                url=html.escape(url_with_id(case.pk, "cases:detail")),
                subject=html.escape(case.subject),
                number=html.escape(case.number),
                unit=html.escape(case.unit_name),
                case_type=html.escape(case.case_type_name),
                tag=_STATUS_TAGS.get(case.status, ""),
                status=label,
                unread=unread,
                promised=promised,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped or a fixed text


# The messages of the staff case page (cases/staff_detail.html), built the same way: the template loop
# cost about 0.3M instructions per message (bench/README.md, "Fifth round"). The view passes them in;
# tests/test_staff_case_page.py compares them with the template loop they replaced.
_ENTRY = (
    '\n    <div class="govuk-inset-text">'
    '\n      <p class="govuk-body-s govuk-!-margin-bottom-2">'
    "\n        <strong>{author}</strong>, {at}"
    "\n        {interim}"
    "\n      </p>"
    '\n      <p class="govuk-body">{body}</p>'
    "\n      {files}"
    "\n      {read}"
    "\n    </div>\n    "
)
_FILE = '<li><a class="govuk-link" href="{url}" download>{name}</a> <span class="govuk-body-s">({size})</span></li>'
_READ = '\n      <p class="govuk-body-s govuk-!-margin-bottom-0">{}</p>\n      '


def staff_thread(case: Any, thread: Iterable[Any], author_of: Callable[[object], str]) -> SafeString:
    """The messages of ``case`` (attachments.thread_of), oldest first: who wrote each (``author_of``
    gives the name of an author id), when, its text, its files as download links, and for the clinic's
    messages whether the resident has read them."""
    interim = f' <strong class="govuk-tag govuk-tag--blue">{html.escape(_("Delsvar"))}</strong>'
    unread = _READ.format(html.escape(_("Inte läst av invånaren än")))
    files_label = html.escape(_("Bifogade filer"))
    case_url = url_pattern("staff_cases:attachment", 2).replace(_PLACEHOLDER, str(case.pk), 1)
    zone = timezone.get_current_timezone()
    entries = []
    for message in thread:
        files = message.attachments.all()
        listed = ""
        if files:
            items = "".join(
                _FILE.format(
                    url=case_url.replace(_SECOND, str(file.pk), 1),
                    name=html.escape(file.filename),
                    size=filesizeformat(file.size),
                )
                for file in files
            )
            listed = (
                f'<ul class="govuk-list vk-attachments govuk-!-margin-bottom-2" aria-label="{files_label}">'
                f"\n  {items}\n</ul>\n"
            )
        read = ""
        if message.author_kind == AuthorKind.STAFF:
            if message.read_by_resident_at:
                at = iso_minute(message.read_by_resident_at.astimezone(zone))
                read = _READ.format(html.escape(_("Läst av invånaren %(at)s") % {"at": at}))
            else:
                read = unread
        entries.append(
            _ENTRY.format(
                author=html.escape(author_of(message.author_id)),
                at=iso_minute(message.created_at.astimezone(zone)),
                interim=interim if message.interim else "",
                body=linebreaksbr(message.body, autoescape=True),
                files=listed,
                read=read,
            )
        )
    return mark_safe("".join(entries))  # noqa: S308 - every value above is escaped or a fixed text


_CHANGE = (
    '\n      <li class="govuk-!-margin-bottom-3">'
    '\n        <span class="govuk-body-s">{at}</span><br>'
    "\n        <strong>{to}</strong>{before}<br>"
    '\n        <span class="govuk-body-s">{by}{reason}</span>'
    "\n      </li>\n      "
)


def staff_history(history: Iterable[Any], author_of: Callable[[object], str]) -> SafeString:
    """The status changes of a case (models.send_history), oldest first, as the case page's "Händelser"
    list items: when, the new status (and the one before), who made the change and why."""
    zone = timezone.get_current_timezone()
    items = []
    for change in history:
        before = ""
        if change.from_status:
            label = html.escape(str(status_label(change.from_status)))
            before = " ({})".format(_("från %(before)s") % {"before": label})
        items.append(
            _CHANGE.format(
                at=iso_minute(change.at.astimezone(zone)),
                to=html.escape(str(status_label(change.to_status))),
                before=before,
                by=html.escape(author_of(change.by_id)),
                reason=f": {html.escape(change.reason)}" if change.reason else "",
            )
        )
    return mark_safe("".join(items))  # noqa: S308 - every value above is escaped or a fixed text
