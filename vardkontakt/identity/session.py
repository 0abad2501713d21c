"""Resident and staff sessions: separate realms, idle and absolute timeouts, a new key at login."""

from __future__ import annotations

import time
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest

from vardkontakt.identity.models import User

REALM_KEY = "vk_realm"
AUTH_AT_KEY = "vk_auth_at"
SEEN_AT_KEY = "vk_seen_at"
METHOD_KEY = "vk_auth_method"
ACTING_FOR_KEY = "vk_acting_for"
BACKEND = "vardkontakt.identity.backends.EIdBackend"
# Writing the session on every request would cost a database write per page; a minute is precise enough.
SEEN_AT_RESOLUTION = 60


class Realm(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"


def start_session(request: HttpRequest, user: User, realm: Realm, method: str) -> None:
    """Log ``user`` in after a completed e-ID authentication. Any earlier session is discarded."""
    expected = {Realm.RESIDENT: user.is_resident, Realm.STAFF: user.is_staff_member}[realm]
    if not expected or not user.is_active:
        raise PermissionError("this user cannot log in to this realm")
    if request.user.is_authenticated:
        logout(request)
    login(request, user, backend=BACKEND)  # cycles the session key
    now = int(time.time())
    request.session[REALM_KEY] = realm.value
    request.session[AUTH_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session[METHOD_KEY] = method


def end_session(request: HttpRequest) -> None:
    logout(request)  # flushes the session: nothing of it survives


def current_realm(request: HttpRequest) -> Realm | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    value = request.session.get(REALM_KEY)
    return Realm(value) if isinstance(value, str) and value in Realm._value2member_map_ else None


def expired(request: HttpRequest, now: int) -> bool:
    auth_at = request.session.get(AUTH_AT_KEY, 0)
    seen_at = request.session.get(SEEN_AT_KEY, 0)
    return (
        now - seen_at > settings.VK_SESSION_IDLE_SECONDS
        or now - auth_at > settings.VK_SESSION_ABSOLUTE_SECONDS
    )


def touch(request: HttpRequest, now: int) -> None:
    if now - request.session.get(SEEN_AT_KEY, 0) >= SEEN_AT_RESOLUTION:
        request.session[SEEN_AT_KEY] = now
