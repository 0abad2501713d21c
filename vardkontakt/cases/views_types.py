"""Clinic settings of the staff tool for the local administrator (LOCAL_ADMIN): the clinic's case
types (central ones on or off, its own ones created and edited, restricted ones handed to named
residents) and the residents the clinic has approved for contact.

Thin: the clinic is one of the member's own (policy.units_for_case_settings, else 404), every change
is an action, and personnummer travel only in POST bodies."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vardkontakt.cases import actions, policy
from vardkontakt.cases.forms_settings import CaseTypeForm, HandTypeForm, PersonnummerForm
from vardkontakt.cases.forms_staff import add_action_error
from vardkontakt.cases.lists import UNIT_PARAM, unit_of_request
from vardkontakt.cases.models import CaseType, CaseTypeGrant, MyClinic, MyClinicKind, UnitCaseType
from vardkontakt.directory.models import Unit
from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.access import logged_in_staff, staff_required
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.ids import first_by_id


def _units(staff: Staff) -> list[Unit]:
    units = list(policy.units_for_case_settings(staff).order_by("name"))
    if not units:
        raise PermissionDenied(_("Du är inte lokal administratör på någon mottagning."))
    return units


def _unit_of(request: HttpRequest, staff: Staff) -> tuple[list[Unit], Unit]:
    units = _units(staff)
    return units, unit_of_request(request, units)


def _here(name: str, unit: Unit, *args: Any) -> str:
    return f"{reverse(name, args=args)}?{urlencode({UNIT_PARAM: str(unit.pk)})}"


def masked(resident: Resident) -> str:
    return pnr.parse(resident.personnummer).masked


# --- Case types -------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def types(request: HttpRequest) -> HttpResponse:
    """The clinic's case types: the region's central ones and the clinic's own, each on or off."""
    staff = logged_in_staff(request)
    units, unit = _unit_of(request, staff)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ("activate", "deactivate"):
            raise Http404
        actions.set_case_type_active(
            staff=staff,
            unit_id=unit.pk,
            case_type_id=request.POST.get("case_type", ""),
            active=action == "activate",
        )
        messages.success(
            request,
            _("Ärendetypen är aktiverad.") if action == "activate" else _("Ärendetypen är avaktiverad."),
        )
        return HttpResponseRedirect(_here("staff_cases:types", unit))
    active = set(UnitCaseType.objects.filter(unit=unit, active=True).values_list("case_type_id", flat=True))
    central = list(CaseType.objects.filter(unit__isnull=True).order_by("outbound", "name"))
    local = list(CaseType.objects.filter(unit=unit).order_by("name"))
    return render(
        request,
        "cases/settings_types.html",
        {
            "staff": staff,
            "units": units,
            "unit": unit,
            "central": [(t, t.pk in active) for t in central],
            "local": [(t, t.pk in active) for t in local],
        },
    )


def _type_page(
    request: HttpRequest,
    staff: Staff,
    units: list[Unit],
    unit: Unit,
    form: CaseTypeForm,
    case_type: CaseType | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "cases/settings_type_form.html",
        {"staff": staff, "units": units, "unit": unit, "form": form, "case_type": case_type},
        status=status,
    )


def _save_type(
    request: HttpRequest, staff: Staff, units: list[Unit], unit: Unit, case_type: CaseType | None
) -> HttpResponse:
    form = CaseTypeForm(request.POST, case_type=case_type)
    if form.is_valid():
        try:
            saved = actions.save_local_case_type(
                staff=staff,
                unit_id=unit.pk,
                spec=form.spec(),
                case_type_id=None if case_type is None else case_type.pk,
            )
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("Ärendetypen %(name)s är sparad.") % {"name": saved.name})
            return HttpResponseRedirect(_here("staff_cases:types", unit))
    return _type_page(request, staff, units, unit, form, case_type, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def type_new(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    units, unit = _unit_of(request, staff)
    if request.method == "POST":
        return _save_type(request, staff, units, unit, None)
    form = CaseTypeForm(initial={"answer_days": 2, "resident_may_reply": True})
    return _type_page(request, staff, units, unit, form, None)


def _local_type(staff: Staff, type_id: str) -> CaseType:
    case_type = first_by_id(policy.local_case_types_visible_to(staff).select_related("unit"), type_id)
    if case_type is None:
        raise Http404
    return case_type


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def type_edit(request: HttpRequest, type_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    case_type = _local_type(staff, type_id)
    units = _units(staff)
    unit = case_type.unit
    assert unit is not None  # a local type
    if request.method == "POST":
        return _save_type(request, staff, units, unit, case_type)
    return _type_page(request, staff, units, unit, CaseTypeForm(case_type=case_type), case_type)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def type_grants(request: HttpRequest, type_id: str) -> HttpResponse:
    """A restricted type's residents: hand it to one (by personnummer) until a date, or take it back."""
    staff = logged_in_staff(request)
    case_type = _local_type(staff, type_id)
    if not case_type.restricted:
        raise Http404
    here = reverse("staff_cases:type_grants", args=[case_type.pk])
    form = HandTypeForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            actions.withdraw_case_type(staff=staff, grant_id=request.POST.get("grant", ""))
            messages.success(request, _("Invånaren kan inte längre använda ärendetypen."))
            return HttpResponseRedirect(here)
        form = HandTypeForm(request.POST)
        if form.is_valid():
            try:
                actions.hand_case_type(
                    staff=staff,
                    case_type_id=case_type.pk,
                    personnummer=form.cleaned_data["personnummer"],
                    until=form.cleaned_data["until"],
                )
            except ValidationError as error:
                add_action_error(form, error)
            else:
                messages.success(request, _("Invånaren kan nu använda ärendetypen."))
                return HttpResponseRedirect(here)
        status = 400
    grants = list(
        CaseTypeGrant.objects.filter(case_type=case_type)
        .select_related("resident")
        .order_by("resident__family_name", "resident__given_name")
    )
    return render(
        request,
        "cases/settings_type_grants.html",
        {
            "staff": staff,
            "case_type": case_type,
            "unit": case_type.unit,
            "form": form,
            "grants": [(g, masked(g.resident)) for g in grants],
            "today": timezone.localdate(),
        },
        status=status,
    )


# --- Residents approved for contact -----------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def approved_residents(request: HttpRequest) -> HttpResponse:
    """Residents the clinic has approved individually for contact, whatever its service area."""
    staff = logged_in_staff(request)
    units, unit = _unit_of(request, staff)
    form = PersonnummerForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            actions.withdraw_approval(staff=staff, approval_id=request.POST.get("approval", ""))
            messages.success(request, _("Godkännandet är borttaget."))
            return HttpResponseRedirect(_here("staff_cases:approved_residents", unit))
        form = PersonnummerForm(request.POST)
        if form.is_valid():
            try:
                actions.approve_resident(
                    staff=staff, unit_id=unit.pk, personnummer=form.cleaned_data["personnummer"]
                )
            except ValidationError as error:
                add_action_error(form, error)
            else:
                messages.success(request, _("Invånaren är godkänd för kontakt med mottagningen."))
                return HttpResponseRedirect(_here("staff_cases:approved_residents", unit))
        status = 400
    approvals = list(
        MyClinic.objects.filter(unit=unit, kind=MyClinicKind.APPROVED)
        .select_related("resident", "decided_by")
        .order_by("resident__family_name", "resident__given_name")
    )
    return render(
        request,
        "cases/settings_approved.html",
        {
            "staff": staff,
            "units": units,
            "unit": unit,
            "form": form,
            "approvals": [(a, masked(a.resident)) for a in approvals],
        },
        status=status,
    )
