from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from vardkontakt.identity.session import (
    REALM_KEY,
    Expiry,
    Realm,
    current_realm,
    end_session,
    expiry,
    login_url_for,
    touch,
)


class SessionRealmMiddleware:
    """Ends a logged-in session that has been idle too long or has lived too long, or has no realm.

    Also flushes what is left of a session whose user can no longer be loaded (deactivated, say), so
    that nothing of it comes back if the user is activated again. The rest of the request runs in
    roles.policy.grants_read_once: a member's grants in force are read once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from vardkontakt.roles.policy import grants_read_once  # roles depends on identity

        self.get_response = get_response
        self.grants_read_once = grants_read_once

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            realm = current_realm(request)
            reason = expiry(request, now) if realm is not None else None
            if realm is None or reason is not None:
                if realm is None:
                    realm = Realm.STAFF if request.user.is_staff_member else Realm.RESIDENT
                    text = _("Du har loggats ut. Logga in igen.")
                elif reason == Expiry.IDLE:
                    text = _("Du har loggats ut eftersom du varit inaktiv för länge.")
                else:
                    text = _("Du har loggats ut eftersom du varit inloggad för länge. Logga in igen.")
                end_session(request)
                if request.path.startswith("/api/"):
                    # An API client gets the API's answer for "no session", not a login page.
                    return JsonResponse({"detail": text}, status=401)
                return _redirect_with_message(request, reverse(login_url_for(realm)), text)
            touch(request, now)
        elif request.session.get(REALM_KEY) is not None:
            end_session(request)
        # The member's grants in force are read once for the whole request (roles.policy).
        with self.grants_read_once():
            return self.get_response(request)


def _redirect_with_message(request: HttpRequest, url: str, text: str) -> HttpResponse:
    """Redirect with a message for the next page (this middleware runs below MessageMiddleware)."""
    messages.info(request, text)
    return HttpResponseRedirect(url)
