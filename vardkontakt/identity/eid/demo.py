"""The demo identity provider: pick a demo person and be logged in as them.

For the demo and tests only, until the real e-ID protocols land; refused at start-up outside DEBUG
unless VK_ALLOW_SIMULATORS is set (registry.refuse_simulators_in_production)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vardkontakt.identity.eid.registry import enabled
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.identity.session import Realm, start_session
from vardkontakt.ids import first_by_id
from vardkontakt.roles.models import RoleGrant
from vardkontakt.roles.policy import has_any_role

METHOD = "demo"


@require_http_methods(["GET", "POST"])
def resident_login(request: HttpRequest) -> HttpResponse:
    if not enabled(METHOD):
        raise Http404
    if request.method == "POST":
        resident = first_by_id(Resident.objects.select_related("user"), request.POST.get("person"))
        if resident is None:
            messages.error(request, _("Välj en person i listan."))
        elif resident.deceased or not resident.user.is_active:
            messages.error(request, _("Den här personen kan inte logga in."))
        else:
            start_session(request, resident.user, Realm.RESIDENT, METHOD)
            return HttpResponseRedirect(reverse("web:resident_home"))
    people = Resident.objects.filter(synthetic=False).order_by("family_name", "given_name")[:100]
    return render(request, "identity/demo_login.html", {"people": people, "realm": Realm.RESIDENT})


@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    if not enabled(METHOD):
        raise Http404
    if request.method == "POST":
        staff = first_by_id(Staff.objects.select_related("user"), request.POST.get("person"))
        if staff is None:
            messages.error(request, _("Välj en person i listan."))
        elif not has_any_role(staff) or not staff.user.is_active:
            messages.error(
                request, _("Du har ingen behörighet i Vårdkontakt. Kontakta din lokala administratör.")
            )
        else:
            start_session(request, staff.user, Realm.STAFF, METHOD)
            return HttpResponseRedirect(reverse("web:staff_home"))
    # The list shows the roles each person holds now: not revoked, ended or future ones.
    in_force = RoleGrant.objects.in_force().select_related("unit", "region").order_by("role")
    people = Staff.objects.order_by("family_name", "given_name").prefetch_related(
        Prefetch("grants", queryset=in_force)
    )[:100]
    return render(request, "identity/demo_login.html", {"people": people, "realm": Realm.STAFF})
