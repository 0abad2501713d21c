"""The resident's "Mina mottagningar" and the archive of the inbox. Thin: the acting resident's own
(identity.access.acting_resident), every change an action."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vardkontakt.cases import actions
from vardkontakt.cases.models import MyClinicKind
from vardkontakt.identity.access import acting_resident, logged_in_resident, resident_required

VIEW_PARAM = "visa"
ARCHIVE_VIEW = "arkiverade"


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def my_clinics(request: HttpRequest) -> HttpResponse:
    resident = acting_resident(request)
    error = ""
    status = 200
    if request.method == "POST":
        unit_id = request.POST.get("unit", "")
        if request.POST.get("action") == "remove":
            actions.remove_my_clinic(resident=resident, unit_id=unit_id)
            messages.success(request, _("Mottagningen är borttagen från dina mottagningar."))
            return HttpResponseRedirect(reverse("cases:my_clinics"))
        try:
            actions.add_my_clinic(resident=resident, unit_id=unit_id)
        except ValidationError as exc:
            error = exc.messages[0]
            status = 400
        else:
            messages.success(request, _("Mottagningen är tillagd i dina mottagningar."))
            return HttpResponseRedirect(reverse("cases:my_clinics"))
    clinics = actions.my_clinics(resident)
    mine = {unit.pk for unit, _kinds in clinics}
    return render(
        request,
        "cases/resident_my_clinics.html",
        {
            "me": logged_in_resident(request),
            "acting": resident,
            "age": resident.age_on(timezone.localdate()),
            "clinics": [
                (unit, [MyClinicKind(k).label for k in kinds], any(k != MyClinicKind.APPROVED for k in kinds))
                for unit, kinds in clinics
            ],
            "addable": [u for u in actions.units_open_to(resident) if u.pk not in mine],
            "error": error,
        },
        status=status,
    )


@require_POST
@resident_required
def archive(request: HttpRequest, case_id: str) -> HttpResponse:
    """Move a case to the archive, or back ("archived" = "0")."""
    archived = request.POST.get("archived", "1") != "0"
    actions.archive_case(
        user=request.user,  # type: ignore[arg-type]
        resident=acting_resident(request),
        case_id=case_id,
        archived=archived,
    )
    if archived:
        messages.success(request, _("Ärendet är arkiverat. Du hittar det under Arkiverade ärenden."))
        return HttpResponseRedirect(reverse("cases:inbox"))
    messages.success(request, _("Ärendet är tillbaka i inkorgen."))
    return HttpResponseRedirect(f"{reverse('cases:inbox')}?{urlencode({VIEW_PARAM: ARCHIVE_VIEW})}")
