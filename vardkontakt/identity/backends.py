"""What every logged-in request loads first: the session's row and the user with their resident or
staff row. Both are Statements (vardkontakt.statements), compiled once: building the SQL of the user's
three-table select_related query cost more than the rest of a small page's queries (bench/README.md,
"Session and user")."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.models import Session
from django.db.models import CharField, DateTimeField, UUIDField
from django.http import HttpRequest
from django.utils import timezone

from vardkontakt.identity.models import User
from vardkontakt.ids import parse_uuid
from vardkontakt.statements import Param, Statement

_ACTIVE_USER = Statement(
    lambda: User.objects.select_related("resident", "staff").filter(
        pk=Param("id", UUIDField()), is_active=True
    )
)
_SESSION_DATA = Statement(
    lambda: Session.objects.filter(
        session_key=Param("key", CharField()), expire_date__gt=Param("now", DateTimeField())
    ).values_list("session_data", flat=True)
)


def load_active_user(user_id: Any) -> User | None:
    """The active user ``user_id`` with ``user.resident`` and ``user.staff`` already loaded (each the row
    or, where there is none, cached as absent), in one statement; None for an unknown, inactive or
    malformed id. The same objects as ``User.objects.select_related("resident", "staff")`` gives."""
    key = parse_uuid(user_id)
    return None if key is None else _ACTIVE_USER.first(id=key)


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
        data = _SESSION_DATA.first(key=key, now=timezone.now()) if key is not None else None
        if key is None or data is None:
            self._session_key = None  # as Django's store does: a new key is made if anything is saved
            return None
        return Session(session_key=key, session_data=data)
