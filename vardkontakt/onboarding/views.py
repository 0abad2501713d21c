"""The staff tool's connection pages. Thin: lists come from policy's filters, changes are actions.

Objects the member may not see get the same 404 as unknown ids; a page the member may see but an
action they may not take gets 403. Approving (which grants roles) and deactivating (which revokes
them) need a recent e-ID authentication (step-up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from vardkontakt.cases.actions import open_cases
from vardkontakt.directory.models import Agreement, EService, Unit
from vardkontakt.identity.access import logged_in_staff, recent_authentication_required, staff_required
from vardkontakt.identity.hsa import normalize_hsa_id
from vardkontakt.identity.models import Staff
from vardkontakt.ids import first_by_id
from vardkontakt.onboarding import actions, policy
from vardkontakt.onboarding.forms import (
    AgreementForm,
    EndAgreementForm,
    LocalAdminRequestForm,
    ReasonForm,
    add_errors,
)
from vardkontakt.onboarding.models import (
    Application,
    ConnectionChange,
    Decision,
    Lifecycle,
)

HSA_QUERY_MAX = 40
BLOCKER_LABELS = {
    "undistributed": gettext_lazy("Ej fördelade"),
    "unanswered": gettext_lazy("Ej besvarade"),
    "not_closed": gettext_lazy("Besvarade men inte avslutade"),
}


def _history(unit: Unit) -> list[ConnectionChange]:
    return list(ConnectionChange.objects.filter(unit=unit).select_related("by").order_by("at", "pk"))


@require_safe
@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    """The region's queues (applications, local-admin requests, deactivation requests) and a look-up
    of units by HSA-id; for a clinic's administrators and managers, their units."""
    staff = logged_in_staff(request)
    regions = list(policy.regions_administered(staff))
    own_units = list(
        policy.units_visible_to(staff).exclude(region__in=regions).order_by("name")
        if regions
        else policy.units_visible_to(staff).order_by("name")
    )
    if not regions and not own_units:
        raise PermissionDenied(_("Du har ingen behörighet för anslutningar."))
    lookup_error = ""
    query = request.GET.get("hsa", "").strip()[:HSA_QUERY_MAX]
    if query:
        try:
            hsa_id = normalize_hsa_id(query)
        except ValidationError as error:
            lookup_error = error.messages[0]
        else:
            found = policy.units_visible_to(staff).filter(hsa_id=hsa_id).first()
            if found is not None:
                return HttpResponseRedirect(reverse("onboarding:unit", args=[found.pk]))
            lookup_error = _("Det finns ingen enhet med det HSA-id:t i din region.")
    context: dict[str, Any] = {
        "staff": staff,
        "regions": regions,
        "own_units": own_units,
        "query": query,
        "lookup_error": lookup_error,
    }
    if regions:
        context["applications"] = (
            policy.applications_visible_to(staff)
            .filter(decision=Decision.PENDING)
            .select_related("unit")
            .order_by("submitted_at")
        )
        context["requests"] = (
            policy.local_admin_requests_visible_to(staff)
            .filter(unit__region__in=regions, decision=Decision.PENDING)
            .select_related("unit", "requested_by")
            .order_by("requested_at")
        )
        context["deactivations"] = (
            policy.units_visible_to(staff)
            .filter(region__in=regions, connection__state=Lifecycle.DEACTIVATION_REQUESTED)
            .select_related("connection")
            .order_by("connection__changed_at")
        )
    return render(request, "onboarding/overview.html", context, status=400 if lookup_error else 200)


# --- Applications -------------------------------------------------------------------------------------


def _render_application(
    request: HttpRequest,
    staff: Staff,
    found: Application,
    reject_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "staff": staff,
        "application": found,
        "state": Lifecycle(actions.state_of(found.unit)).label,
        "services": [EService(s).label for s in found.services],
        "admins": list(found.admins.order_by("pk")),
        "has_agreement": Agreement.objects.in_force().filter(unit=found.unit).exists(),
        "pending": found.decision == Decision.PENDING,
        "reject_form": reject_form or ReasonForm(),
        "error_form": reject_form if reject_form is not None and reject_form.errors else None,
    }
    return render(request, "onboarding/application.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def application(request: HttpRequest, application_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    found = first_by_id(
        policy.applications_visible_to(staff).select_related("unit", "decided_by"), application_id
    )
    if found is None:
        raise Http404
    if request.method != "POST":
        return _render_application(request, staff, found)
    if request.POST.get("action") == "approve":
        return _approve_application(request, application_id)
    form = ReasonForm(request.POST)
    done = _reject(
        request,
        form,
        lambda reason: actions.reject_application(staff, found.pk, reason),
        _("Ansökan har avslagits och den sökande har fått besked."),
    )
    return done or _render_application(request, staff, found, form, status=400)


def _reject(
    request: HttpRequest, form: ReasonForm, reject: Callable[[str], object], done: str
) -> HttpResponse | None:
    """Reject with the form's reason and go back to the queues; None (errors on the form) if refused."""
    if form.is_valid():
        try:
            reject(form.cleaned_data["reason"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("onboarding:overview"))
    return None


@recent_authentication_required
def _approve_application(request: HttpRequest, application_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    try:
        found = actions.approve_application(staff, application_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("onboarding:application", args=[application_id]))
    messages.success(request, _("Ansökan är godkänd. %(unit)s är ansluten.") % {"unit": found.unit.name})
    return HttpResponseRedirect(reverse("onboarding:unit", args=[found.unit_id]))


# --- Local-admin requests -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def local_admin_request(request: HttpRequest, request_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    found = first_by_id(
        policy.local_admin_requests_visible_to(staff).select_related("unit", "requested_by", "decided_by"),
        request_id,
    )
    if found is None:
        raise Http404
    form = ReasonForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "approve":
            return _approve_local_admin(request, request_id)
        form = ReasonForm(request.POST)
        done = _reject(
            request,
            form,
            lambda reason: actions.reject_local_admin_request(staff, found.pk, reason),
            _("Begäran har avslagits."),
        )
        if done is not None:
            return done
        status = 400
    existing = Staff.objects.filter(hsa_id=found.hsa_id).first()
    context = {
        "staff": staff,
        "found": found,
        "known": existing,
        "may_decide": policy.can_decide_local_admin_request(staff, found)
        and found.decision == Decision.PENDING,
        "reject_form": form,
    }
    return render(request, "onboarding/local_admin_request.html", context, status=status)


@recent_authentication_required
def _approve_local_admin(request: HttpRequest, request_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    try:
        found = actions.approve_local_admin_request(staff, request_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("onboarding:local_admin_request", args=[request_id]))
    messages.success(
        request,
        _("%(name)s är lokal administratör på %(unit)s.")
        % {"name": found.full_name, "unit": found.unit.name},
    )
    return HttpResponseRedirect(reverse("onboarding:overview"))


# --- A unit's connection page -----------------------------------------------------------------------

# The unit page's reason forms, each with its own prefix so that field ids stay unique on the page.
REASON_PREFIXES = {
    "request_deactivation": "begaran",
    "cancel_deactivation": "avbryt",
    "deactivate": "inaktivera",
}


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def unit(request: HttpRequest, unit_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    found = first_by_id(policy.units_visible_to(staff).select_related("region", "provider"), unit_id)
    if found is None:
        raise Http404
    forms: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "deactivate":
            return _deactivate(request, unit_id)
        outcome = _unit_post(request, staff, found, action)
        if isinstance(outcome, HttpResponse):
            return outcome
        forms = outcome
    return _render_unit(request, staff, found, forms, None, status=400 if forms else 200)


def _unit_post(request: HttpRequest, staff: Staff, found: Unit, action: str) -> HttpResponse | dict[str, Any]:
    """Carry out one of the unit page's forms; a redirect when done, else the form with its errors."""
    done = HttpResponseRedirect(reverse("onboarding:unit", args=[found.pk]))
    if action == "add_agreement":
        form: Any = AgreementForm(request.POST)
        if form.is_valid():
            try:
                actions.add_agreement(staff, found.pk, **form.cleaned_data)
                messages.success(request, _("Avtalet är registrerat."))
                return done
            except ValidationError as error:
                add_errors(form, error)
        return {"agreement_form": form}
    if action == "end_agreement":
        form = EndAgreementForm(request.POST)
        if form.is_valid():
            try:
                actions.end_agreement(
                    staff, found.pk, form.cleaned_data["agreement"], last_day=form.cleaned_data["last_day"]
                )
                messages.success(request, _("Avtalets slutdatum är registrerat."))
                return done
            except ValidationError as error:
                add_errors(form, error)
        return {"end_form": form}
    if action in REASON_PREFIXES:
        form = ReasonForm(request.POST, prefix=REASON_PREFIXES[action])
        if form.is_valid():
            try:
                if action == "request_deactivation":
                    actions.request_deactivation(staff, found.pk, form.cleaned_data["reason"])
                    messages.success(request, _("Begäran om inaktivering är skickad till regionen."))
                else:
                    actions.cancel_deactivation(staff, found.pk, form.cleaned_data["reason"])
                    messages.success(request, _("Inaktiveringen är avbruten. Enheten är fortsatt ansluten."))
                return done
            except ValidationError as error:
                add_errors(form, error)
        return {f"{action}_form": form}
    if action == "request_local_admin":
        form = LocalAdminRequestForm(request.POST)
        if form.is_valid():
            try:
                actions.request_local_admin(staff, found.pk, **form.cleaned_data)
                messages.success(request, _("Begäran om lokal administratör är skickad till regionen."))
                return done
            except ValidationError as error:
                add_errors(form, error)
        return {"local_admin_form": form}
    raise PermissionDenied(_("Okänd åtgärd."))


@recent_authentication_required
def _deactivate(request: HttpRequest, unit_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    found = first_by_id(policy.units_visible_to(staff).select_related("region", "provider"), unit_id)
    if found is None:
        raise Http404
    form = ReasonForm(request.POST, prefix=REASON_PREFIXES["deactivate"])
    if form.is_valid():
        try:
            actions.deactivate_unit(staff, found.pk, form.cleaned_data["reason"])
        except actions.DeactivationBlocked as blocked:
            form.add_error(None, blocked.messages)
            return _render_unit(
                request, staff, found, {"deactivate_form": form}, blocked.blockers, status=409
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("%(unit)s är inaktiverad.") % {"unit": found.name})
            return HttpResponseRedirect(reverse("onboarding:unit", args=[found.pk]))
    return _render_unit(request, staff, found, {"deactivate_form": form}, None, status=400)


def _render_unit(
    request: HttpRequest,
    staff: Staff,
    found: Unit,
    forms: dict[str, Any],
    blockers: dict[str, list[str]] | None,
    status: int,
) -> HttpResponse:
    state = actions.state_of(found)
    region_admin = policy.is_region_admin_of(staff, found)
    if blockers is None and region_admin and state == Lifecycle.DEACTIVATION_REQUESTED:
        blockers = open_cases(found)
    agreements = list(Agreement.objects.filter(unit=found).order_by("-valid_from"))
    today = timezone.localdate()
    error_form = next((form for form in forms.values() if form.errors), None)
    context = {
        "staff": staff,
        "unit": found,
        "state": state,
        "state_label": Lifecycle(state).label,
        "history": _history(found),
        "agreements": agreements,
        "today": today,
        "services": found.active_eservices(),
        "region_admin": region_admin,
        "may_agreements": policy.can_administer_agreements(staff, found),
        "may_request_deactivation": policy.can_request_deactivation(staff, found)
        and state == Lifecycle.ACTIVE,
        "may_cancel_deactivation": policy.can_cancel_deactivation(staff, found)
        and state == Lifecycle.DEACTIVATION_REQUESTED,
        "may_deactivate": policy.can_deactivate(staff, found) and state == Lifecycle.DEACTIVATION_REQUESTED,
        "may_request_local_admin": policy.can_request_local_admin(staff, found) and state == Lifecycle.ACTIVE,
        "blocker_groups": [(BLOCKER_LABELS[key], numbers) for key, numbers in (blockers or {}).items()],
        "blocked": bool(blockers and any(blockers.values())),
        "applications": list(
            policy.applications_visible_to(staff).filter(unit=found).order_by("-submitted_at")
        ),
        "requests": list(
            policy.local_admin_requests_visible_to(staff).filter(unit=found).order_by("-requested_at")
        ),
        "agreement_form": forms.get("agreement_form") or AgreementForm(),
        "end_form": forms.get("end_form") or EndAgreementForm(),
        "open_agreements": [a for a in agreements if a.valid_to is None or a.valid_to >= today],
        "request_deactivation_form": forms.get("request_deactivation_form")
        or ReasonForm(prefix=REASON_PREFIXES["request_deactivation"]),
        "cancel_deactivation_form": forms.get("cancel_deactivation_form")
        or ReasonForm(prefix=REASON_PREFIXES["cancel_deactivation"]),
        "deactivate_form": forms.get("deactivate_form") or ReasonForm(prefix=REASON_PREFIXES["deactivate"]),
        "local_admin_form": forms.get("local_admin_form") or LocalAdminRequestForm(),
        "error_form": error_form,
    }
    return render(request, "onboarding/unit.html", context, status=status)
