from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vardkontakt.identity.access import (
    logged_in_resident,
    recent_authentication_required,
    resident_required,
    resident_session_required,
)
from vardkontakt.identity.actions import record_consent, set_notification_addresses
from vardkontakt.identity.eid.registry import (
    BANKID,
    FREJA,
    RESIDENT_PROVIDERS,
    SITHS,
    STAFF_PROVIDERS,
    enabled,
)
from vardkontakt.identity.forms import ConsentForm, NotificationForm
from vardkontakt.identity.login import STEP_UP_KEY
from vardkontakt.identity.models import Resident
from vardkontakt.identity.policy import can_act_for
from vardkontakt.identity.session import ACTING_FOR_KEY, Realm, current_realm, end_session
from vardkontakt.ids import first_by_id

# The start view of each e-ID provider, by provider (the providers' own URLconfs).
_START = {BANKID: "bankid:start", FREJA: "oidc:freja_start", SITHS: "oidc:siths_start"}


def _methods(providers: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"provider": p, "url": reverse(_START[p])} for p in providers if enabled(p)]


@require_safe
def login(request: HttpRequest) -> HttpResponse:
    """Resident login: the e-ID methods this installation offers."""
    methods = _methods(RESIDENT_PROVIDERS)
    return render(
        request, "identity/login.html", {"methods": methods, "staff": False}, status=200 if methods else 503
    )


@require_safe
def staff_login(request: HttpRequest) -> HttpResponse:
    methods = _methods(STAFF_PROVIDERS)
    return render(
        request, "identity/login.html", {"methods": methods, "staff": True}, status=200 if methods else 503
    )


@require_safe
def about_login(request: HttpRequest) -> HttpResponse:
    """Who can log in, with which e-ID, from what age, and what to do without one."""
    return render(request, "identity/about_login.html")


@require_safe
def step_up(request: HttpRequest) -> HttpResponse:
    """The logged-in person is asked to authenticate again before a sensitive change."""
    realm = current_realm(request)
    if realm is None or STEP_UP_KEY not in request.session:
        return HttpResponseRedirect(reverse("web:home"))
    providers = RESIDENT_PROVIDERS if realm == Realm.RESIDENT else STAFF_PROVIDERS
    return render(request, "identity/step_up.html", {"methods": _methods(providers)})


@require_http_methods(["GET", "POST"])
@resident_session_required
def consent(request: HttpRequest) -> HttpResponse:
    """First login: consent to digital communication and the terms of the service."""
    resident = logged_in_resident(request)
    if resident.consented_at is not None:
        return HttpResponseRedirect(reverse("web:resident_home"))
    form = ConsentForm(request.POST if request.method == "POST" else None, auto_id="%s")
    if request.method == "POST" and form.is_valid():
        record_consent(resident)
        return HttpResponseRedirect(reverse("web:resident_home"))
    return render(request, "identity/consent.html", {"form": form})


@require_http_methods(["GET", "POST"])
@resident_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The resident's notification addresses. Changing them needs a recent e-ID authentication."""
    resident = logged_in_resident(request)
    return render(request, "identity/settings.html", {"resident": resident})


@require_http_methods(["GET", "POST"])
@resident_required
@recent_authentication_required
def edit_notifications(request: HttpRequest) -> HttpResponse:
    resident = logged_in_resident(request)
    initial = {"email": resident.notify_email or "", "mobile": resident.notify_mobile or ""}
    form = NotificationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        set_notification_addresses(
            resident, email=form.cleaned_data["email"], mobile=form.cleaned_data["mobile"]
        )
        messages.success(request, _("Dina kontaktuppgifter för aviseringar är sparade."))
        return HttpResponseRedirect(reverse("identity:settings"))
    return render(request, "identity/edit_notifications.html", {"form": form})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    end_session(request)
    messages.success(request, _("Du är utloggad."))
    return HttpResponseRedirect(reverse("web:home"))


@require_POST
@resident_required
def act_for(request: HttpRequest) -> HttpResponse:
    """Switch between one's own matters and those of a child under 13 in one's custody."""
    me = logged_in_resident(request)
    child_id = request.POST.get("child") or ""
    if not child_id:
        request.session.pop(ACTING_FOR_KEY, None)
        return HttpResponseRedirect(reverse("web:resident_home"))
    child = first_by_id(Resident.objects.all(), child_id)
    if child is None or not can_act_for(me, child):
        raise Http404
    request.session[ACTING_FOR_KEY] = str(child.pk)
    return HttpResponseRedirect(reverse("web:resident_home"))
