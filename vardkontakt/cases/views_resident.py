"""The resident's case pages: inbox, starting a case, the case page. Thin: the rules are in
cases.policy (what the acting resident may see) and cases.actions (every change)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from vardkontakt.cases import actions, attachments, policy
from vardkontakt.cases.forms import CaseForm, ReplyForm, add_action_error
from vardkontakt.cases.lists import resident_inbox_page
from vardkontakt.cases.models import Attachment, AuthorKind, Case, CaseStatus, CaseType
from vardkontakt.cases.templatetags.case_lists import resident_case_rows
from vardkontakt.cases.views_clinics import ARCHIVE_VIEW, VIEW_PARAM
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import acting_resident, logged_in_resident, resident_required
from vardkontakt.ids import first_by_id, row_by_id

UNIT_PARAM = "mottagning"
TYPE_PARAM = "typ"
CURSOR_PARAM = "efter"

# The steps of the tracker, in order (the values of CaseStatus).
STEPS = [CaseStatus.SENT, CaseStatus.DISTRIBUTED, CaseStatus.INTERIM, CaseStatus.ANSWERED, CaseStatus.CLOSED]


def _acting_context(request: HttpRequest) -> dict[str, Any]:
    me, acting = logged_in_resident(request), acting_resident(request)
    return {"me": me, "acting": acting, "age": acting.age_on(timezone.localdate())}


# --- Inbox ------------------------------------------------------------------------------------------


@require_GET
@resident_required
def inbox(request: HttpRequest) -> HttpResponse:
    acting = acting_resident(request)
    after = request.GET.get(CURSOR_PARAM, "")
    archived = request.GET.get(VIEW_PARAM) == ARCHIVE_VIEW
    view = {VIEW_PARAM: ARCHIVE_VIEW} if archived else {}
    cases, next_cursor = resident_inbox_page(
        acting,
        after,
        by=request.user,  # type: ignore[arg-type]
        archived=archived,
    )
    inbox_url = reverse("cases:inbox")
    archive_url = f"{inbox_url}?{urlencode({VIEW_PARAM: ARCHIVE_VIEW})}"
    context = {
        **_acting_context(request),
        "rows": resident_case_rows(cases, timezone.localdate()),
        "next_url": f"?{urlencode({**view, CURSOR_PARAM: next_cursor})}" if next_cursor else "",
        "first_url": (archive_url if archived else inbox_url) if after else "",
        "archived": archived,
        "archive_url": archive_url,
    }
    return render(request, "cases/resident_inbox.html", context)


# --- Starting a case --------------------------------------------------------------------------------


def _step_url(**params: str) -> str:
    return f"{reverse('cases:new')}?{urlencode(params)}"


@require_http_methods(["GET", "POST"])
@resident_required
def new_case(request: HttpRequest) -> HttpResponse:
    """Step 1: pick a clinic; step 2: pick a type; step 3: the form. The clinic and the type travel
    as UUIDs in the query string."""
    resident = acting_resident(request)
    context = _acting_context(request)
    unit_param = request.GET.get(UNIT_PARAM, "")
    unit = row_by_id(Unit, unit_param) if unit_param else None
    if unit is None:
        error = _("Välj en mottagning.") if unit_param else ""
        return render(
            request,
            "cases/resident_new_unit.html",
            {**context, "units": actions.units_open_to(resident), "error": error, "unit_param": UNIT_PARAM},
        )
    type_param = request.GET.get(TYPE_PARAM, "")
    case_type = row_by_id(CaseType, type_param) if type_param else None
    if request.method == "GET":
        # A link to a clinic or a type the resident cannot use: say so before they write anything.
        # (send_case checks again, including the clinic's service area.)
        if not actions.admits(unit, resident):
            return render(
                request,
                "cases/resident_new_unit.html",
                {
                    **context,
                    "units": actions.units_open_to(resident),
                    "error": _("Du kan inte skicka ärenden till den här mottagningen."),
                    "unit_param": UNIT_PARAM,
                },
            )
        if case_type is None or not policy.may_choose(unit, resident, case_type):
            error = ""
            if type_param:
                error = _("Mottagningen tar inte emot den här typen av ärenden.")
            return render(
                request,
                "cases/resident_new_type.html",
                {
                    **context,
                    "unit": unit,
                    "types": policy.case_types_for(unit, resident),
                    "error": error,
                    "unit_param": UNIT_PARAM,
                    "type_param": TYPE_PARAM,
                    "back_url": reverse("cases:new"),
                },
            )
        form = CaseForm(
            case_type=case_type, initial={"idempotency_key": uuid.uuid4(), "resident": resident.pk}
        )
        return _render_case_form(request, context, unit, case_type, form)

    if case_type is None:
        raise Http404
    form = CaseForm(request.POST, request.FILES, case_type=case_type)
    if form.is_valid():
        if form.cleaned_data["resident"] != resident.pk:
            form.add_error(None, _("Du kan inte längre skicka ärenden för den här personen."))
        else:
            try:
                case = actions.send_case(
                    user=request.user,  # type: ignore[arg-type]
                    resident=resident,
                    unit=unit,
                    case_type=case_type,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    answers=form.answers(),
                    accepted_terms=form.cleaned_data["accept_terms"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    files=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Ditt ärende %(number)s är skickat. Mottagningen svarar senast %(date)s.")
                    % {"number": case.number, "date": case.promised_by.isoformat()},
                )
                return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))
    return _render_case_form(request, context, unit, case_type, form)


def _render_case_form(
    request: HttpRequest, context: dict[str, Any], unit: Unit, case_type: CaseType, form: CaseForm
) -> HttpResponse:
    return render(
        request,
        "cases/resident_new_form.html",
        {
            **context,
            "unit": unit,
            "case_type": case_type,
            "form": form,
            "questions": form.questions(),
            "yesno": [("ja", _("Ja")), ("nej", _("Nej"))],
            "back_url": _step_url(**{UNIT_PARAM: str(unit.pk)}),
            "attachment_hint": attachments.hint(),
        },
    )


# --- The case page ----------------------------------------------------------------------------------


def _case_or_404(request: HttpRequest, case_id: str) -> Case:
    cases = policy.cases_of_resident(acting_resident(request), by=request.user).select_related(  # type: ignore[arg-type]
        "unit", "case_type", "resident"
    )
    case = first_by_id(cases, case_id)
    if case is None:
        raise Http404
    return case


def _tracker(case: Case) -> dict[str, Any]:
    current = STEPS.index(CaseStatus(case.status))
    today = timezone.localdate()
    return {
        "steps": [
            {"label": step.label, "done": index < current, "current": index == current}
            for index, step in enumerate(STEPS)
        ],
        "case": case,
        "overdue": case.status not in (CaseStatus.ANSWERED, CaseStatus.CLOSED) and case.promised_by < today,
    }


def _answers(case: Case) -> list[dict[str, str]]:
    try:
        answers = json.loads(case.answers or "{}")
    except ValueError:
        answers = {}
    shown = []
    for field in case.case_type.form:
        value = answers.get(field["key"])
        if value in (None, ""):
            continue
        if field.get("kind") == "yesno":
            value = _("Ja") if value == "ja" else _("Nej")
        shown.append({"label": field.get("label", field["key"]), "value": str(value)})
    return shown


@require_http_methods(["GET", "POST"])
@resident_required
def detail(request: HttpRequest, case_id: str) -> HttpResponse:
    resident = acting_resident(request)
    case = _case_or_404(request, case_id)
    form = ReplyForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reply_as_resident(
                user=request.user,  # type: ignore[arg-type]
                resident=resident,
                case_id=case.pk,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("Ditt svar är skickat."))
            return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))
        case = _case_or_404(request, case_id)
    thread = attachments.thread_of(case)
    if request.method == "GET":
        actions.mark_read_by_resident(case)
    context = {
        **_acting_context(request),
        "case": case,
        "answers": _answers(case),
        "thread": thread,
        "tracker": _tracker(case),
        "may_reply": policy.resident_may_reply(case),
        "closed": case.status == CaseStatus.CLOSED,
        "form": form,
        "user_id": request.user.pk,
        "staff_kind": AuthorKind.STAFF,
        "attachment_hint": attachments.hint(),
    }
    return render(request, "cases/resident_detail.html", context)


@require_GET
@resident_required
def attachment(request: HttpRequest, case_id: str, attachment_id: str) -> HttpResponse:
    """A file of one of the acting resident's cases (the same queryset as the case page), or 404."""
    case = _case_or_404(request, case_id)
    found = first_by_id(Attachment.objects.filter(message__case=case), attachment_id)
    if found is None:
        raise Http404
    return attachments.download(found)


@require_GET
@resident_required
def tracker(request: HttpRequest, case_id: str) -> HttpResponse:
    """The tracker alone, for the case page to refresh itself (htmx)."""
    case = _case_or_404(request, case_id)
    return render(request, "cases/resident_tracker.html", {"tracker": _tracker(case)})
