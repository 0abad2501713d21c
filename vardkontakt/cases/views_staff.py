"""The staff tool's case pages: the clinic inbox, "my cases" and the case page.

Thin: lists start from policy.cases_visible_to_staff, the case page reads through
actions.open_case_for_staff (which writes the access-log row), and every change is an action."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from vardkontakt.cases import actions, attachments, policy
from vardkontakt.cases.forms_staff import (
    ACTION_ANSWER,
    ACTION_CLOSE,
    ACTION_DISTRIBUTE,
    ACTION_USE_REPLY,
    AnswerForm,
    CloseForm,
    DistributeForm,
    add_action_error,
)
from vardkontakt.cases.lists import TABS, chosen_unit, clinic_page, page_by_activity
from vardkontakt.cases.models import OPEN_STATUSES, Case
from vardkontakt.cases.templatetags.case_lists import staff_history, staff_thread
from vardkontakt.identity.access import logged_in_staff, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.ids import parse_uuid, url_pattern
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import unit_names_where

NUMBER_MAX = 20

# What a row of the case tables shows (case_lists.staff_case_rows), and the keyset of the paging: the
# rows are tuples of these columns, not model instances with every column of four tables.
CASE_ROW_FIELDS = (
    "pk",
    "number",
    "status",
    "created_at",
    "promised_by",
    "last_activity",
    "case_type__name",
    "resident__given_name",
    "resident__family_name",
    "handler_id",
    "handler__given_name",
    "handler__family_name",
)


def _table_page(cases: QuerySet[Case], after: str) -> tuple[list[Any], str | None]:
    """One page of a case table (lists.page_by_activity) as rows of CASE_ROW_FIELDS."""
    return page_by_activity(cases.values_list(*CASE_ROW_FIELDS, named=True), after)


@require_safe
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The clinic inbox of a case receiver."""
    staff = logged_in_staff(request)
    # The page shows the clinics' names only (the picker, the heading).
    units = unit_names_where(staff, Role.CASE_RECEIVER)
    if not units:
        raise PermissionDenied(_("Du är inte ärendemottagare på någon mottagning."))
    unit = chosen_unit(units, request.GET.get("enhet", ""))
    number = request.GET.get("nummer", "").strip()[:NUMBER_MAX]
    tab = request.GET.get("flik", "")
    if tab not in {t.key for t in TABS}:
        tab = TABS[0].key
    rows, next_cursor = clinic_page(
        staff, unit, CASE_ROW_FIELDS, tab=tab, number=number, after=request.GET.get("efter", "")
    )
    return render(
        request,
        "cases/staff_inbox.html",
        {
            "staff": staff,
            "units": units,
            "unit": unit,
            "tabs": TABS,
            "tab": tab,
            "number": number,
            "cases": rows,
            "next_cursor": next_cursor,
            "first_page": not request.GET.get("efter"),
            "today": timezone.localdate(),
        },
    )


@require_safe
@staff_required
def mine(request: HttpRequest) -> HttpResponse:
    """The open cases assigned to the logged-in handler."""
    staff = logged_in_staff(request)
    cases = policy.cases_visible_to_staff(staff).filter(handler=staff, status__in=OPEN_STATUSES)
    rows, next_cursor = _table_page(cases, request.GET.get("efter", ""))
    return render(
        request,
        "cases/staff_mine.html",
        {
            "staff": staff,
            "cases": rows,
            "next_cursor": next_cursor,
            "first_page": not request.GET.get("efter"),
            "today": timezone.localdate(),
        },
    )


# --- The case page ----------------------------------------------------------------------------------


# What the case page reads of the case and its relations (the template, _answers, the policy's checks,
# the access-log row): not the clinic's contact card, the case type's descriptions and terms, nor the
# resident's sealed personnummer and contact details.
CASE_PAGE_FIELDS = (
    "number",
    "unit__name",
    "resident__user_id",
    "resident__given_name",
    "resident__family_name",
    "case_type__name",
    "case_type__form",
    "case_type__standard_replies",
    "case_type__answer_options",
    "by_guardian",
    "subject_sealed",
    "answers_sealed",
    "status",
    "handler__given_name",
    "handler__family_name",
    "created_at",
    "promised_by",
)


def _signature(staff: Staff) -> str:
    return "\n".join(part for part in (staff.full_name, staff.title) if part)


def _answers(case: Case) -> list[tuple[str, str]]:
    """The question form's answers, labelled by the type's questions."""
    try:
        given = json.loads(case.answers or "{}")
    except ValueError:
        given = {}
    labels = {field["key"]: field.get("label", field["key"]) for field in case.case_type.form}
    return [(labels.get(key, key), str(value)) for key, value in given.items()]


def _render_case(
    request: HttpRequest,
    staff: Staff,
    case_id: object,
    *,
    distribute_form: DistributeForm | None = None,
    answer_form: AnswerForm | None = None,
    close_form: CloseForm | None = None,
    use_reply: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page: read (and logged) by ``actions.read_case_for_staff``, then rendered."""
    read = actions.read_case_for_staff(staff, case_id, only=CASE_PAGE_FIELDS)
    case, name_of = read.case, read.name_of
    is_receiver = policy.acting_role(staff, case) == Role.CASE_RECEIVER
    may_answer = policy.can_answer(staff, case)
    replies = [str(text) for text in (case.case_type.standard_replies or [])]
    if may_answer and answer_form is None:
        initial = {"signature": _signature(staff)}
        if use_reply is not None:
            data = request.POST.copy()
            current = data.get("svar-body", "").rstrip()
            if 0 <= use_reply < len(replies):
                data["svar-body"] = f"{current}\n\n{replies[use_reply]}" if current else replies[use_reply]
            answer_form = AnswerForm(
                initial={
                    "body": data.get("svar-body", ""),
                    "signature": data.get("svar-signature", initial["signature"]),
                    "close": bool(data.get("svar-close")),
                    "option": data.get("svar-option", ""),
                }
            )
        else:
            answer_form = AnswerForm(initial=initial)
    context = {
        "staff": staff,
        "case": case,
        "answers": _answers(case),
        "thread": staff_thread(case, read.thread, name_of),
        "history": staff_history(read.history, name_of),
        "may_distribute": policy.can_distribute(staff, case),
        "may_answer": may_answer,
        "may_close": policy.can_close(staff, case),
        "may_interim": policy.can_send_interim(staff, case),
        "handlers": read.handlers,
        "replies": replies,
        "answer_options": [str(text) for text in (case.case_type.answer_options or [])],
        "distribute_form": distribute_form or DistributeForm(),
        "answer_form": answer_form,
        "close_form": close_form or CloseForm(),
        "is_receiver": is_receiver,
        "back_url": url_pattern("staff_cases:inbox" if is_receiver else "staff_cases:mine", 0),
        "today": timezone.localdate(),
        "attachment_hint": attachments.hint(),
    }
    return render(request, "cases/staff_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def detail(request: HttpRequest, case_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    if parse_uuid(case_id) is None:
        raise Http404
    if request.method != "POST":
        return _render_case(request, staff, case_id)
    action = request.POST.get("action", "")
    here = reverse("staff_cases:detail", args=[case_id])
    if action == ACTION_DISTRIBUTE:
        distribute = DistributeForm(request.POST)
        if distribute.is_valid():
            try:
                actions.distribute_case(
                    staff=staff,
                    case_id=case_id,
                    handler_id=distribute.cleaned_data["handler"],
                    interim=distribute.cleaned_data["interim"],
                )
            except ValidationError as error:
                add_action_error(distribute, error, renames={"body": "interim"})
            else:
                messages.success(request, _("Ärendet är fördelat."))
                return HttpResponseRedirect(here)
        return _render_case(request, staff, case_id, distribute_form=distribute, status=400)
    if action == ACTION_USE_REPLY:
        try:
            index = int(request.POST.get("svar-standard_reply", ""))
        except ValueError:
            index = -1
        return _render_case(request, staff, case_id, use_reply=index)
    if action == ACTION_ANSWER:
        answer = AnswerForm(request.POST, request.FILES)
        if answer.is_valid():
            try:
                actions.answer_case(
                    staff=staff,
                    case_id=case_id,
                    body=answer.cleaned_data["body"],
                    signature=answer.cleaned_data["signature"],
                    close=answer.cleaned_data["close"],
                    files=answer.cleaned_data["attachments"],
                    option=answer.cleaned_data["option"],
                )
            except ValidationError as error:
                add_action_error(answer, error)
            else:
                messages.success(request, _("Svaret är skickat."))
                return HttpResponseRedirect(here)
        return _render_case(request, staff, case_id, answer_form=answer, status=400)
    if action == ACTION_CLOSE:
        close = CloseForm(request.POST)
        if close.is_valid():
            try:
                actions.close_case(staff=staff, case_id=case_id, reason=close.cleaned_data["reason"])
            except ValidationError as error:
                add_action_error(close, error)
            else:
                messages.success(request, _("Ärendet är avslutat."))
                return HttpResponseRedirect(here)
        return _render_case(request, staff, case_id, close_form=close, status=400)
    return _render_case(request, staff, case_id, status=400)


@require_GET
@staff_required
def attachment(request: HttpRequest, case_id: str, attachment_id: str) -> HttpResponse:
    """A file of a case the member may read, through the same read as the case page; the download is
    written to the access log ("attachment.read") in the same transaction. Anyone else: 404."""
    staff = logged_in_staff(request)
    if parse_uuid(case_id) is None or parse_uuid(attachment_id) is None:
        raise Http404
    with transaction.atomic():
        found = actions.open_attachment_for_staff(staff, case_id, attachment_id)
        return attachments.download(found)
