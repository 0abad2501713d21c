"""The staff tool's case pages: the clinic inbox, "my cases" and the case page.

Thin: lists start from policy.cases_visible_to_staff, the case page reads through
actions.open_case_for_staff (which writes the access-log row), and every change is an action."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from vardkontakt.cases import actions, policy
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
from vardkontakt.cases.models import OPEN_STATUSES, AuthorKind, Case, CaseStatus
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import logged_in_staff, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.ids import parse_uuid
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import units_where

PAGE_SIZE = 25
NUMBER_MAX = 20
UNANSWERED = (CaseStatus.SENT, CaseStatus.DISTRIBUTED, CaseStatus.INTERIM)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any


TABS = (
    Tab("nya", gettext_lazy("Nya")),
    Tab("fordelade", gettext_lazy("Fördelade")),
    Tab("forsenade", gettext_lazy("Försenade")),
    Tab("besvarade", gettext_lazy("Besvarade")),
    Tab("avslutade", gettext_lazy("Avslutade")),
)


def _tab_filter(cases: QuerySet[Case], tab: str) -> QuerySet[Case]:
    if tab == "fordelade":
        return cases.filter(status__in=[CaseStatus.DISTRIBUTED, CaseStatus.INTERIM])
    if tab == "forsenade":
        # Not yet answered, and the date promised to the resident has passed.
        return cases.filter(status__in=UNANSWERED, promised_by__lt=timezone.localdate())
    if tab == "besvarade":
        return cases.filter(status=CaseStatus.ANSWERED)
    if tab == "avslutade":
        return cases.filter(status=CaseStatus.CLOSED)
    return cases.filter(status=CaseStatus.SENT)


# --- Keyset pagination on (last_activity, id), newest first ---------------------------------------


def _cursor(case: Case) -> str:
    micros = (case.last_activity - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{case.pk.hex}"


def _after(value: str) -> tuple[datetime, uuid.UUID] | None:
    micros, _sep, ident = value.partition(".")
    key = parse_uuid(ident)
    if not micros.isdigit() or len(micros) > 20 or key is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), key
    except OverflowError:
        return None


def _page(cases: QuerySet[Case], after: str) -> tuple[list[Case], str | None]:
    """One page of ``cases``, newest activity first, starting after the cursor; and the next cursor."""
    if after:
        position = _after(after)
        if position is None:
            raise Http404
        at, key = position
        cases = cases.filter(Q(last_activity__lt=at) | Q(last_activity=at, pk__lt=key))
    rows = list(
        cases.select_related("case_type", "handler", "resident").order_by("-last_activity", "-pk")[
            : PAGE_SIZE + 1
        ]
    )
    if len(rows) > PAGE_SIZE:
        return rows[:PAGE_SIZE], _cursor(rows[PAGE_SIZE - 1])
    return rows, None


# --- Lists ------------------------------------------------------------------------------------------


def _chosen_unit(units: list[Unit], value: str) -> Unit:
    """The clinic picked in the inbox (the first one if none): only among the member's own."""
    if not value:
        return units[0]
    wanted = parse_uuid(value)
    for unit in units:
        if unit.pk == wanted:
            return unit
    raise Http404


@require_safe
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The clinic inbox of a case receiver."""
    staff = logged_in_staff(request)
    units = list(units_where(staff, Role.CASE_RECEIVER).order_by("name"))
    if not units:
        raise PermissionDenied(_("Du är inte ärendemottagare på någon mottagning."))
    unit = _chosen_unit(units, request.GET.get("enhet", ""))
    cases = policy.cases_visible_to_staff(staff).filter(unit=unit)
    number = request.GET.get("nummer", "").strip()[:NUMBER_MAX]
    tab = request.GET.get("flik", "")
    if tab not in {t.key for t in TABS}:
        tab = TABS[0].key
    cases = cases.filter(number=number) if number else _tab_filter(cases, tab)
    rows, next_cursor = _page(cases, request.GET.get("efter", ""))
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
    rows, next_cursor = _page(cases, request.GET.get("efter", ""))
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


def _signature(staff: Staff) -> str:
    return "\n".join(part for part in (staff.full_name, staff.title) if part)


def _author_name(user_id: object, case: Case, staff_names: dict[Any, str]) -> str:
    if user_id in staff_names:
        return staff_names[user_id]
    if user_id == case.resident.user_id:
        return case.resident.full_name
    return _("Vårdnadshavare")


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
    """The case page. The read and its access-log row are one transaction."""
    with transaction.atomic():
        case = actions.open_case_for_staff(staff, case_id)
        thread = list(case.messages.order_by("created_at", "pk"))
        history = list(case.history.order_by("at", "pk"))
        user_ids = {m.author_id for m in thread} | {h.by_id for h in history}
        staff_names = {
            s.user_id: s.full_name
            for s in Staff.objects.filter(user_id__in=user_ids).only("user_id", "given_name", "family_name")
        }
        entries = [
            {
                "message": m,
                "body": m.body,
                "author": _author_name(m.author_id, case, staff_names),
                "from_staff": m.author_kind == AuthorKind.STAFF,
            }
            for m in thread
        ]
        changes = [
            {
                "change": h,
                "from_label": CaseStatus(h.from_status).label if h.from_status else "",
                "to_label": CaseStatus(h.to_status).label,
                "by": _author_name(h.by_id, case, staff_names),
            }
            for h in history
        ]
        may_distribute = policy.can_distribute(staff, case)
        may_answer = policy.can_answer(staff, case)
        may_close = policy.can_close(staff, case)
        handlers = list(policy.handlers_at(case)) if may_distribute else []
        replies = [str(text) for text in (case.case_type.standard_replies or [])]
        if may_answer and answer_form is None:
            initial = {"signature": _signature(staff)}
            if use_reply is not None:
                data = request.POST.copy()
                current = data.get("svar-body", "").rstrip()
                if 0 <= use_reply < len(replies):
                    data["svar-body"] = (
                        f"{current}\n\n{replies[use_reply]}" if current else replies[use_reply]
                    )
                answer_form = AnswerForm(
                    initial={
                        "body": data.get("svar-body", ""),
                        "signature": data.get("svar-signature", initial["signature"]),
                        "close": bool(data.get("svar-close")),
                    }
                )
            else:
                answer_form = AnswerForm(initial=initial)
        context = {
            "staff": staff,
            "case": case,
            "answers": _answers(case),
            "entries": entries,
            "changes": changes,
            "may_distribute": may_distribute,
            "may_answer": may_answer,
            "may_close": may_close,
            "may_interim": policy.can_send_interim(staff, case),
            "handlers": handlers,
            "replies": replies,
            "distribute_form": distribute_form or DistributeForm(),
            "answer_form": answer_form,
            "close_form": close_form or CloseForm(),
            "is_receiver": policy.acting_role(staff, case) == Role.CASE_RECEIVER,
            "today": timezone.localdate(),
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
        answer = AnswerForm(request.POST)
        if answer.is_valid():
            try:
                actions.answer_case(
                    staff=staff, case_id=case_id, body=answer.message(), close=answer.cleaned_data["close"]
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
