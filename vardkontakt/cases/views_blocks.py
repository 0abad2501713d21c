"""Guardian blocking (blockering av vårdnadshavare) in the staff tool, for the unit manager
(UNIT_MANAGER): block a guardian from acting for a child at the unit or at every unit, and lift a
block. Both people are named by personnummer in the POST body only; the decision needs a recent
e-ID authentication (step-up). The rule itself is applied by cases.policy.cases_of_resident."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vardkontakt.cases.forms_settings import GuardianBlockForm
from vardkontakt.cases.forms_staff import add_action_error
from vardkontakt.cases.lists import UNIT_PARAM, unit_of_request
from vardkontakt.identity import actions as identity_actions
from vardkontakt.identity.access import logged_in_staff, recent_authentication_required, staff_required
from vardkontakt.identity.policy import guardian_blocks_visible_to, units_deciding_guardian_blocks


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def guardian_blocks(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    units = list(units_deciding_guardian_blocks(staff).order_by("name"))
    if not units:
        raise PermissionDenied(_("Du är inte verksamhetschef på någon mottagning."))
    unit = unit_of_request(request, units)
    here = f"{reverse('staff_cases:guardian_blocks')}?{urlencode({UNIT_PARAM: str(unit.pk)})}"
    form = GuardianBlockForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "lift":
            identity_actions.lift_guardian_block(staff=staff, block_id=request.POST.get("block", ""))
            messages.success(request, _("Blockeringen är hävd."))
            return HttpResponseRedirect(here)
        form = GuardianBlockForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                identity_actions.block_guardian(
                    staff=staff,
                    unit_id=unit.pk,
                    guardian_pnr=data["guardian"],
                    child_pnr=data["child"],
                    all_units=data["all_units"],
                    reason=data["reason"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                )
            except ValidationError as error:
                add_action_error(form, error)
            else:
                messages.success(request, _("Vårdnadshavaren är blockerad."))
                return HttpResponseRedirect(here)
        status = 400
    blocks = list(
        guardian_blocks_visible_to(staff)
        .filter(decided_at=unit, lifted_at__isnull=True)
        .select_related("guardian", "child", "unit", "decided_by")
        .order_by("-created_at")
    )
    return render(
        request,
        "cases/settings_guardian_blocks.html",
        {"staff": staff, "units": units, "unit": unit, "form": form, "blocks": blocks},
        status=status,
    )
