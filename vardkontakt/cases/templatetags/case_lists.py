"""Filters for the rows of the case lists (the resident's inbox, the clinic inbox, "my cases").

A list renders each of these once per row, where Django's general tags cost many times more per call:
``{% url %}`` matches the URL pattern again for every row, ``get_status_display`` translates every
label of the field's choices to find one, and the ``date`` filter interprets its format string each
time. The output is the same as theirs (tests/test_case_lists_filters.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse

from vardkontakt.cases.models import CaseStatus

register = template.Library()

_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
# reverse(name, args=[_PLACEHOLDER]) per URL name and script prefix: the URLconf does not change while
# the process runs, so the id is the only part that differs from row to row.
_url_patterns: dict[tuple[str, str], str] = {}


@register.filter
def url_with_id(pk: object, name: str) -> str:
    """``{{ case.pk|url_with_id:"cases:detail" }}`` is ``{% url "cases:detail" case.pk %}`` for a
    URL whose only argument is a ``<str:…>`` id (a UUID never needs quoting)."""
    key = (name, get_script_prefix())
    pattern = _url_patterns.get(key)
    if pattern is None:
        pattern = _url_patterns[key] = reverse(name, args=[_PLACEHOLDER])
    return pattern.replace(_PLACEHOLDER, str(pk), 1)


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
