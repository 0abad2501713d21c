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
    else:
        # Nothing written before the login (by whoever chose the session cookie) is carried into it.
        request.session.flush()
    login(request, user, backend=BACKEND)  # cycles the session key
    now = int(time.time())
    request.session[REALM_KEY] = realm.value
    request.session[AUTH_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session[METHOD_KEY] = method


def end_session(request: HttpRequest) -> None:
    logout(request)  # flushes the session: nothing of it survives


def current_realm(request: HttpRequest) -> Realm | None:
    """The realm of a logged-in session, or None: no session, no realm, or a realm that does not fit
    the kind of user (which ``start_session`` never writes, so the session is not to be trusted)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    value = request.session.get(REALM_KEY)
    if not isinstance(value, str) or value not in Realm._value2member_map_:
        return None
    realm = Realm(value)
    fits = user.is_resident if realm == Realm.RESIDENT else user.is_staff_member
    return realm if fits else None


class Expiry(StrEnum):
    IDLE = "idle"
    ABSOLUTE = "absolute"


def expiry(request: HttpRequest, now: int) -> Expiry | None:
    """Why the logged-in session has run out at ``now``, or None while it is still good.

    A session without its timestamps has run out: only ``start_session`` writes them."""
    auth_at = request.session.get(AUTH_AT_KEY)
    seen_at = request.session.get(SEEN_AT_KEY)
    if not isinstance(auth_at, int) or now - auth_at > settings.VK_SESSION_ABSOLUTE_SECONDS:
        return Expiry.ABSOLUTE
    if not isinstance(seen_at, int) or now - seen_at > settings.VK_SESSION_IDLE_SECONDS:
        return Expiry.IDLE
    return None


def expired(request: HttpRequest, now: int) -> bool:
    return expiry(request, now) is not None


def touch(request: HttpRequest, now: int) -> None:
    if now - request.session.get(SEEN_AT_KEY, 0) >= SEEN_AT_RESOLUTION:
        request.session[SEEN_AT_KEY] = now


def login_url_for(realm: Realm | None) -> str:
    """The name of the login page of ``realm``: the staff one for staff, the residents' otherwise."""
    return "identity:staff_login" if realm == Realm.STAFF else "identity:login"
