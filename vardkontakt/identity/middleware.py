from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from vardkontakt.identity.session import Realm, current_realm, end_session, expired, touch


class SessionRealmMiddleware:
    """Ends a logged-in session that has been idle too long or has lived too long, or has no realm."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            realm = current_realm(request)
            if realm is None or expired(request, now):
                end_session(request)
                messages.info(request, _("Du har loggats ut eftersom du varit inaktiv för länge."))
                login = "identity:staff_login" if realm == Realm.STAFF else "identity:login"
                return HttpResponseRedirect(reverse(login))
            touch(request, now)
        return self.get_response(request)
