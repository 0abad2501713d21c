from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from vardkontakt.identity.access import logged_in_resident, resident_required
from vardkontakt.identity.eid.registry import enabled
from vardkontakt.identity.models import Resident
from vardkontakt.identity.policy import can_act_for
from vardkontakt.identity.session import ACTING_FOR_KEY, end_session
from vardkontakt.ids import first_by_id


@require_safe
def login(request: HttpRequest) -> HttpResponse:
    """Resident login: the e-ID methods this installation offers."""
    if enabled("demo"):
        return HttpResponseRedirect(reverse("identity:demo_resident_login"))
    return render(request, "identity/no_provider.html", status=503)


@require_safe
def staff_login(request: HttpRequest) -> HttpResponse:
    if enabled("demo"):
        return HttpResponseRedirect(reverse("identity:demo_staff_login"))
    return render(request, "identity/no_provider.html", status=503)


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
