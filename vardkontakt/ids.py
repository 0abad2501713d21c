from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

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
