from __future__ import annotations

import uuid
from typing import TypeVar

from django.db.models import Model, QuerySet

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
