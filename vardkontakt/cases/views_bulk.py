"""Reverse flow pages of the staff tool: a new send to one resident or many, and its progress and result.

Thin: the form checks shape, ``bulk.start_bulk_send`` decides and writes, the work runs as a task.
Personnummer travel only in the POST body, never in a URL."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from vardkontakt.cases import bulk as bulk_actions
from vardkontakt.cases.actions import BODY_MAX, SUBJECT_MAX
from vardkontakt.cases.forms_staff import add_action_error
from vardkontakt.cases.models import BulkStatus, CaseType, RecipientOutcome
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import logged_in_staff, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.ids import first_by_id

RECENT = 10


class BulkForm(forms.Form):
    unit = forms.ChoiceField(
        label=gettext_lazy("Mottagning"), error_messages={"required": gettext_lazy("Välj en mottagning.")}
    )
    case_type = forms.ChoiceField(
        label=gettext_lazy("Mall"), error_messages={"required": gettext_lazy("Välj en mall.")}
    )
    subject = forms.CharField(
        label=gettext_lazy("Rubrik"),
        max_length=SUBJECT_MAX,
        error_messages={"required": gettext_lazy("Skriv en rubrik.")},
    )
    body = forms.CharField(
        label=gettext_lazy("Meddelande"),
        max_length=BODY_MAX,
        widget=forms.Textarea,
        error_messages={"required": gettext_lazy("Skriv ett meddelande.")},
    )
    # Counted and checked by the action (at most 1,000 lines), so that the error can say how many.
    numbers = forms.CharField(
        label=gettext_lazy("Personnummer, ett per rad"),
        widget=forms.Textarea,
        required=False,
        strip=False,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, units: list[Unit], templates: list[CaseType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        type_field = self.fields["case_type"]
        assert isinstance(unit_field, forms.ChoiceField) and isinstance(type_field, forms.ChoiceField)
        unit_field.choices = [("", _("Välj")), *((str(u.pk), u.name) for u in units)]
        type_field.choices = [("", _("Välj")), *((str(t.pk), t.name) for t in templates)]


def _templates(units: list[Unit]) -> list[CaseType]:
    return list(
        CaseType.objects.filter(outbound=True, units__unit__in=[u.pk for u in units], units__active=True)
        .distinct()
        .order_by("name")
    )


def _render_new(
    request: HttpRequest, staff: Staff, form: BulkForm, units: list[Unit], status: int = 200
) -> HttpResponse:
    recent = list(
        bulk_actions.bulk_sends_visible_to(staff)
        .filter(created_by=staff)
        .select_related("unit", "case_type")
        .order_by("-created_at")[:RECENT]
    )
    return render(
        request,
        "cases/bulk_new.html",
        {"staff": staff, "form": form, "units": units, "recent": recent, "max": bulk_actions.MAX_RECIPIENTS},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def bulk_new(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    units = list(bulk_actions.units_for_bulk(staff))
    if not units:
        raise PermissionDenied(_("Du är inte ärendehanterare på någon mottagning."))
    templates = _templates(units)
    if request.method != "POST":
        initial: dict[str, object] = {"idempotency_key": uuid.uuid4()}
        if len(units) == 1:
            initial["unit"] = str(units[0].pk)
        form = BulkForm(initial=initial, units=units, templates=templates)
        return _render_new(request, staff, form, units)
    form = BulkForm(request.POST, units=units, templates=templates)
    if form.is_valid():
        data = form.cleaned_data
        unit = next(u for u in units if str(u.pk) == data["unit"])
        case_type = next(t for t in templates if str(t.pk) == data["case_type"])
        try:
            sent = bulk_actions.start_bulk_send(
                staff=staff,
                unit=unit,
                case_type=case_type,
                subject=data["subject"],
                body=data["body"],
                numbers=data["numbers"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as error:
            add_action_error(form, error)
        else:
            return HttpResponseRedirect(reverse("staff_cases:bulk_detail", args=[sent.pk]), status=303)
    return _render_new(request, staff, form, units, status=400)


@require_safe
@staff_required
@vary_on_headers("HX-Request")
def bulk_detail(request: HttpRequest, bulk_id: str) -> HttpResponse:
    """Progress while the send runs (the fragment is polled every 2 s), and the result when done."""
    staff = logged_in_staff(request)
    visible = bulk_actions.bulk_sends_visible_to(staff).select_related("unit", "case_type", "created_by")
    sent = first_by_id(visible, bulk_id)
    if sent is None:
        raise Http404
    with transaction.atomic():
        done = sent.status == BulkStatus.DONE
        counts = bulk_actions.outcome_counts(sent)
        context = {
            "staff": staff,
            "bulk": sent,
            "done": done,
            "percent": (100 * sent.processed // sent.total) if sent.total else 100,
            "sent_count": counts.get(RecipientOutcome.SENT, 0),
            "reported": bulk_actions.not_sent(staff, sent) if done else [],
        }
        if request.headers.get("HX-Request"):
            return render(request, "cases/bulk_progress.html", context)
        return render(request, "cases/bulk_detail.html", context)
