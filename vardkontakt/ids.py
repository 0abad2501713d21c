from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.urls import get_script_prefix, reverse

from vardkontakt.statements import Param, Statements

M = TypeVar("M", bound=Model)


def parse_uuid(value: object) -> uuid.UUID | None:
    """A UUID from untrusted input, or None: a malformed id is the same as an unknown one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def first_by_id(queryset: QuerySet[M], value: object) -> M | None:
    """The row of ``queryset`` whose UUID key is ``value`` (untrusted input), or None."""
    ident = parse_uuid(value)
    if ident is None:
        return None
    rows = list(queryset.filter(pk=ident)[:1])  # not .first(): one key needs no ORDER BY to build and run
    return rows[0] if rows else None


_BY_ID: Statements[type[Model], Any] = Statements(
    lambda model: model._default_manager.filter(pk=Param("id", model._meta.pk))[:1]
)


def row_by_id(model: type[M], value: object) -> M | None:
    """The row of ``model`` whose UUID key is ``value`` (untrusted input), or None: the same as
    ``first_by_id(model.objects.all(), value)``, by a statement compiled once per model."""
    ident = parse_uuid(value)
    return None if ident is None else _BY_ID[model].first(id=ident)


# Stand-ins for the ids of a URL whose arguments are ``<str:…>`` ids (a UUID never needs quoting).
ID_PLACEHOLDERS = ("00000000-0000-0000-0000-000000000000", "11111111-1111-1111-1111-111111111111")
# reverse(name, args=placeholders) per URL name, number of ids and script prefix: the URLconf does not
# change while the process runs, so the ids are the only part that differs from row to row.
_url_patterns: dict[tuple[str, int, str], str] = {}


def url_pattern(name: str, ids: int = 1) -> str:
    """The address of URL ``name`` with ID_PLACEHOLDERS[:ids] for its ids, reversed once per process.
    A list of rows puts each row's ids in place of the placeholders (``str.replace``), where
    ``reverse`` or ``{% url %}`` would match the URL pattern again for every row."""
    key = (name, ids, get_script_prefix())
    pattern = _url_patterns.get(key)
    if pattern is None:
        pattern = _url_patterns[key] = reverse(name, args=ID_PLACEHOLDERS[:ids])
    return pattern
