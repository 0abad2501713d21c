"""View decorators for the two realms. A wrong realm gets the same answer as no session at all."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from vardkontakt.identity.login import begin_step_up, recently_authenticated
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.identity.policy import can_act_for
from vardkontakt.identity.session import ACTING_FOR_KEY, Realm, current_realm, end_session

View = Callable[..., HttpResponse]


def _gate(
    realm: Realm, login_url: str, still_allowed: Callable[[HttpRequest], str | None] | None = None
) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            here = current_realm(request)
            if here is None:
                return HttpResponseRedirect(reverse(login_url))
            if here != realm:
                return render(request, "identity/wrong_realm.html", {"realm": here}, status=403)
            refusal = still_allowed(request) if still_allowed else None
            if refusal is not None:
                end_session(request)
                messages.warning(request, refusal)
                return HttpResponseRedirect(reverse(login_url))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _staff_holds_a_role(request: HttpRequest) -> str | None:
    """Asked on every request, so that a revoked or ended role stops working at once, not at the next
    login. A member without any role in force is logged out."""
    from vardkontakt.roles.policy import has_any_role, staff_of  # roles depends on identity

    if has_any_role(staff_of(request.user)):  # type: ignore[arg-type]
        return None
    return _("Du har inte längre någon behörighet i Vårdkontakt. Kontakta din lokala administratör.")


def _resident_may_still_log_in(request: HttpRequest) -> str | None:
    """The population register may report a death while a session is open: it ends at once."""
    if logged_in_resident(request).deceased:
        return _("Den här personen kan inte logga in.")
    return None


# A resident session, consented or not: only the consent page itself uses this.
resident_session_required = _gate(Realm.RESIDENT, "identity:login", _resident_may_still_log_in)
staff_required = _gate(Realm.STAFF, "identity:staff_login", _staff_holds_a_role)


def resident_required(view: View) -> View:
    """A resident session whose resident has consented to digital communication (first login)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if logged_in_resident(request).consented_at is None:
            return HttpResponseRedirect(reverse("identity:consent"))
        return view(request, *args, **kwargs)

    return resident_session_required(wrapped)


def recent_authentication_required(view: View) -> View:
    """For sensitive changes: the person must have authenticated with e-ID within VK_STEP_UP_SECONDS.

    Otherwise they are sent to authenticate again (step-up) and brought back to this page. Put it
    inside resident_required / staff_required."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if recently_authenticated(request):
            return view(request, *args, **kwargs)
        begin_step_up(request, request.path)
        if request.method == "POST":
            messages.warning(request, _("Du behöver legitimera dig igen innan ändringen kan sparas."))
        return HttpResponseRedirect(reverse("identity:step_up"))

    return wrapped


def logged_in_resident(request: HttpRequest) -> Resident:
    return request.user.resident  # type: ignore[union-attr]


def logged_in_staff(request: HttpRequest) -> Staff:
    return request.user.staff  # type: ignore[union-attr]


def acting_resident(request: HttpRequest) -> Resident:
    """The resident whose matters the page shows: the user, or a child they act for right now.

    The proxy is checked on every request, so it ends by itself on the child's 13th birthday."""
    me = logged_in_resident(request)
    child_id = request.session.get(ACTING_FOR_KEY)
    if child_id:
        child = Resident.objects.filter(pk=child_id).first()
        if child is not None and can_act_for(me, child):
            return child
        request.session.pop(ACTING_FOR_KEY, None)
    return me
