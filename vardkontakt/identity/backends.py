"""What every logged-in request loads first: the session's row and the user with their resident or
staff row. Both are read with a statement written once, not built by the ORM per request: building
the SQL of the user's three-table select_related query cost more than the rest of a small page's
queries (bench/README.md, "Session and user")."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.models import Session
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.db.models.expressions import Col
from django.http import HttpRequest
from django.utils import timezone

from vardkontakt.identity.models import Resident, Staff, User

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class _Columns:
    """One model's columns in a joined row: attribute names, and the database's converters per column
    (as the ORM applies them: SQLite's text UUIDs and integer booleans, say)."""

    model: type[Model]
    names: list[str]
    converters: list[tuple[Col, list[Converter]]]

    @classmethod
    def of(cls, model: type[Model], alias: str, connection: BaseDatabaseWrapper) -> _Columns:
        fields = model._meta.concrete_fields
        cols = [field.get_col(alias) for field in fields]
        return cls(
            model,
            [field.attname for field in fields],
            [
                (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
                for col in cols
            ],
        )

    def sql(self, alias: str, connection: BaseDatabaseWrapper) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(col.target.column)}" for col, _ in self.converters)

    def build(self, values: Sequence[Any], connection: BaseDatabaseWrapper) -> Any:
        converted = list(values)
        for i, (col, converters) in enumerate(self.converters):
            for convert in converters:
                converted[i] = convert(converted[i], col, connection)
        return self.model.from_db(connection.alias, self.names, converted)


@dataclass(frozen=True)
class _UserStatement:
    sql: str
    parts: tuple[_Columns, _Columns, _Columns]


_statements: dict[str, _UserStatement] = {}


def _user_statement(connection: BaseDatabaseWrapper) -> _UserStatement:
    """SELECT the active user by id with its resident and staff rows (LEFT JOINs): written once per
    database connection alias from the models' own tables and columns."""
    found = _statements.get(connection.alias)
    if found is None:
        quote = connection.ops.quote_name
        parts = (
            _Columns.of(User, "u", connection),
            _Columns.of(Resident, "r", connection),
            _Columns.of(Staff, "s", connection),
        )
        select = ", ".join(part.sql(alias, connection) for part, alias in zip(parts, "urs", strict=True))
        user_id = quote(User._meta.pk.column)
        joins = " ".join(
            f"LEFT JOIN {quote(model._meta.db_table)} {alias}"
            f" ON {alias}.{quote(model._meta.get_field('user').column)} = u.{user_id}"
            for model, alias in ((Resident, "r"), (Staff, "s"))
        )
        found = _UserStatement(
            f"SELECT {select} FROM {quote(User._meta.db_table)} u {joins}"  # noqa: S608 - names from the models
            f" WHERE u.{user_id} = %s AND u.{quote('is_active')} = %s",
            parts,
        )
        _statements[connection.alias] = found
    return found


def load_active_user(user_id: Any) -> User | None:
    """The active user ``user_id`` with ``user.resident`` and ``user.staff`` already loaded (each the row
    or, where there is none, cached as absent), in one statement; None for an unknown, inactive or
    malformed id. The same objects as ``User.objects.select_related("resident", "staff")`` gives."""
    try:
        key = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        return None
    connection = connections[User.objects.db]
    statement = _user_statement(connection)
    params = [User._meta.pk.get_db_prep_value(key, connection), True]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    user_cols, resident_cols, staff_cols = statement.parts
    start_staff = len(user_cols.names) + len(resident_cols.names)
    user = user_cols.build(row[: len(user_cols.names)], connection)
    for columns, values, field in (
        (resident_cols, row[len(user_cols.names) : start_staff], Resident._meta.get_field("user")),
        (staff_cols, row[start_staff:], Staff._meta.get_field("user")),
    ):
        related = columns.build(values, connection) if values[0] is not None else None
        field.remote_field.set_cached_value(user, related)  # user.resident / user.staff
        if related is not None:
            field.set_cached_value(related, user)  # resident.user / staff.user
    return user


class EIdBackend:
    """Loads the logged-in user for each request. There is no password to check: a session starts only
    through ``identity.session.start_session`` after an e-ID provider has completed its protocol."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        return load_active_user(user_id)


class SessionStore(db_sessions.SessionStore):
    """Django's database sessions (``django_session``), with the read of every request as one written
    statement instead of an ORM query built per request. Writing, ending and expiring sessions are
    Django's own."""

    def _get_session_from_db(self) -> Session | None:
        key = self.session_key  # None unless it has a valid session key's form
        if key is None:
            return None
        connection = connections[self.model.objects.db]
        meta = self.model._meta
        quote = connection.ops.quote_name
        data = quote(meta.get_field("session_data").column)
        expires = quote(meta.get_field("expire_date").column)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {data} FROM {quote(meta.db_table)}"  # noqa: S608 - names from the model
                f" WHERE {quote(meta.pk.column)} = %s AND {expires} > %s",
                [key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does: a new key is made if anything is saved
            return None
        return Session(session_key=key, session_data=row[0])
