"""The log review pages of the staff tool (LOG_REVIEWER): filter a clinic's access log, draw a random
sample, record conclusions, close the review, export as CSV.

Thin: access is audit.policy's, every read and change is an action in audit.actions (which writes
the reviewer's own reads to the access log). A personnummer travels only in a POST body: a filter
is stored and its pages are addressed by the filter's opaque id. For anyone who is not a reviewer of
the unit, every page is the same 404 as for an unknown id."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vardkontakt.audit import actions, policy, review
from vardkontakt.audit.forms import CloseForm, ConclusionForm, FilterForm, SampleForm, add_action_error
from vardkontakt.audit.models import LogFilter, LogReview, Verdict
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import logged_in_staff, recent_authentication_required, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.ids import parse_uuid

REVIEWS_PAGE = 20


def _units(staff: Staff) -> list[Unit]:
    units = list(policy.review_units(staff).order_by("name"))
    if not units:
        raise Http404  # the pages do not exist for anyone who reviews no clinic's log
    return units


def _filter_form(log_filter: LogFilter | None, units: list[Unit]) -> FilterForm:
    if log_filter is None:
        start, end = actions.default_period()
        return FilterForm(initial={"unit": str(units[0].pk), "date_from": start, "date_to": end})
    return FilterForm(
        initial={
            "unit": str(log_filter.unit_id),
            "staff_hsa_id": log_filter.staff_hsa_id,
            "personnummer": review.format_pnr(log_filter.personnummer) if log_filter.pnr_index else "",
            "date_from": log_filter.date_from,
            "date_to": log_filter.date_to,
        }
    )


def _reviews_page(staff: Staff, after: str) -> tuple[list[LogReview], str | None]:
    """The reviews of the reviewer's clinics, newest first, paged by keyset on (drawn_at, id)."""
    reviews = policy.reviews_visible_to(staff).select_related("unit", "drawn_by")
    return review.page_newest_first(reviews, after, REVIEWS_PAGE, field="drawn_at", key=parse_uuid)


def _render_start(
    request: HttpRequest, staff: Staff, units: list[Unit], form: FilterForm, status: int = 200
) -> HttpResponse:
    reviews, next_cursor = _reviews_page(staff, request.GET.get("efter", ""))
    return render(
        request,
        "audit/start.html",
        {
            "staff": staff,
            "units": units,
            "form": form,
            "reviews": reviews,
            "next_cursor": next_cursor,
            "first_page": not request.GET.get("efter"),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def start(request: HttpRequest) -> HttpResponse:
    """The filter form, and the reviews of the reviewer's clinics. A valid filter is stored and the
    reviewer sent to its page (303), so that the personnummer never reaches a URL."""
    staff = logged_in_staff(request)
    units = _units(staff)
    if request.method != "POST":
        return _render_start(request, staff, units, _filter_form(None, units))
    form = FilterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            log_filter = actions.create_filter(
                staff=staff,
                unit_id=data["unit"],
                hsa_id=data["staff_hsa_id"],
                personnummer=data["personnummer"],
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
        except ValidationError as error:
            add_action_error(form, error)
        else:
            return HttpResponseRedirect(reverse("logreview:filter", args=[log_filter.pk]), status=303)
    return _render_start(request, staff, units, form, status=400)


def _render_filter(
    request: HttpRequest,
    staff: Staff,
    filter_id: str,
    sample_form: SampleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    units = _units(staff)
    page = actions.read_filter_page(staff, filter_id, request.GET.get("efter", ""))
    return render(
        request,
        "audit/filter.html",
        {
            "staff": staff,
            "units": units,
            "page": page,
            "log_filter": page.log_filter,
            "form": _filter_form(page.log_filter, units),
            "sample_form": sample_form or SampleForm(initial={"idempotency_key": uuid.uuid4(), "size": 20}),
            "first_page": not request.GET.get("efter"),
            "sample_max": actions.SAMPLE_MAX,
        },
        status=status,
    )


@require_safe
@staff_required
def filter_page(request: HttpRequest, filter_id: str) -> HttpResponse:
    """A filter's rows, newest first, a page at a time; the reading is logged."""
    return _render_filter(request, logged_in_staff(request), filter_id)


@require_POST
@staff_required
def sample(request: HttpRequest, filter_id: str) -> HttpResponse:
    staff = logged_in_staff(request)
    _units(staff)
    form = SampleForm(request.POST)
    if form.is_valid():
        try:
            drawn = actions.draw_sample(
                staff=staff,
                filter_id=filter_id,
                size=form.cleaned_data["size"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("Stickprovet är draget."))
            return HttpResponseRedirect(reverse("logreview:review", args=[drawn.pk]), status=303)
    # A filter that is not the reviewer's is answered 404 by the page's own read.
    return _render_filter(request, staff, filter_id, sample_form=form, status=400)


# --- Reviews --------------------------------------------------------------------------------------


def _summary(items: list[actions.Item]) -> dict[str, int]:
    latest = [i.latest.verdict for i in items if i.latest is not None]
    return {
        "total": len(items),
        "concluded": len(latest),
        "follow_up": latest.count(Verdict.FOLLOW_UP),
        "not_justified": latest.count(Verdict.NOT_JUSTIFIED),
    }


def _render_review(
    request: HttpRequest, staff: Staff, review_id: str, close_form: CloseForm | None = None, status: int = 200
) -> HttpResponse:
    _units(staff)
    found, items = actions.read_review(staff, review_id)
    return render(
        request,
        "audit/review.html",
        {
            "staff": staff,
            "review": found,
            "items": items,
            "counts": _summary(items),
            "close_form": close_form or CloseForm(),
            "filter_resident": found.filter.pnr_index != "",
            "filter_pnr": review.format_pnr(found.filter.personnummer) if found.filter.pnr_index else "",
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def review_page(request: HttpRequest, review_id: str) -> HttpResponse:
    """A review's sample and how far it has come; POST closes it with the overall conclusion."""
    staff = logged_in_staff(request)
    if request.method != "POST":
        return _render_review(request, staff, review_id)
    _units(staff)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            actions.close_review(
                staff=staff,
                review_id=review_id,
                outcome=form.cleaned_data["outcome"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("Granskningen är avslutad."))
            return HttpResponseRedirect(reverse("logreview:review", args=[review_id]), status=303)
    return _render_review(request, staff, review_id, close_form=form, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def review_item(request: HttpRequest, review_id: str, position: int) -> HttpResponse:
    """One sampled row: what happened, the conclusions so far, and a form for a new conclusion."""
    staff = logged_in_staff(request)
    _units(staff)
    form = ConclusionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.conclude(
                    staff=staff,
                    review_id=review_id,
                    position=position,
                    verdict=form.cleaned_data["verdict"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                add_action_error(form, error)
            else:
                messages.success(request, _("Slutsatsen är sparad."))
                return HttpResponseRedirect(_after_conclusion(staff, review_id, position), status=303)
        status = 400
    found, item = actions.read_review_item(staff, review_id, position)
    return render(
        request,
        "audit/review_item.html",
        {"staff": staff, "review": found, "item": item, "form": form},
        status=status,
    )


def _after_conclusion(staff: Staff, review_id: str, position: int) -> str:
    """The next sampled row without a conclusion, or the review when none is left."""
    found = policy.reviews_visible_to(staff).get(pk=review_id)
    concluded = set(actions.latest_verdicts(found))
    following = found.items.filter(position__gt=position).exclude(pk__in=concluded).order_by("position")
    upcoming = following.first()
    if upcoming is None:
        return reverse("logreview:review", args=[review_id])
    return reverse("logreview:item", args=[review_id, upcoming.position])


# --- CSV exports ------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _header() -> list[str]:
    return [
        _("Tidpunkt"),
        _("Personalens HSA-id"),
        _("Personal"),
        _("Roll"),
        _("Invånarens personnummer"),
        _("Invånare"),
        _("Händelse"),
        _("Objekt"),
        _("Objektets id"),
    ]


def _line(row: review.Row) -> list[str]:
    return [
        row.at.strftime("%Y-%m-%d %H:%M:%S"),
        row.staff_hsa_id,
        row.staff_name,
        row.role,
        row.resident_pnr,
        row.resident_name,
        row.action,
        row.entry.object_type,
        row.entry.object_id,
    ]


def _stream(lines: Iterable[list[str]], filename: str) -> HttpResponse:
    """CSV for Swedish spreadsheets: UTF-8 with a byte-order mark, semicolons between cells. Served
    as a download only, never cached."""
    writer = csv.writer(_Echo(), delimiter=";")

    def body() -> Iterator[str]:
        yield "\ufeff"
        for line in lines:
            yield writer.writerow([_cell(value) for value in line])

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    # The staff views are typed as returning HttpResponse; a streamed one is served the same way.
    return cast(HttpResponse, response)


def _render_confirm(request: HttpRequest, staff: Staff, context: dict[str, Any]) -> HttpResponse:
    return render(request, "audit/export_confirm.html", {"staff": staff, **context})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def filter_export(request: HttpRequest, filter_id: str) -> HttpResponse:
    """GET: what the file will hold, and that the export is logged. POST: the file, streamed."""
    staff = logged_in_staff(request)
    _units(staff)
    if request.method != "POST":
        log_filter = actions.visible_filter(staff, filter_id)
        back = reverse("logreview:filter", args=[log_filter.pk])
        return _render_confirm(request, staff, {"log_filter": log_filter, "back": back})
    log_filter, rows = actions.export_filter(staff, filter_id)
    stamp = timezone.localdate().isoformat()
    lines = (_line(row) for row in rows)
    return _stream(
        _with_header(_header(), lines),
        f"logggranskning-{log_filter.date_from}-{log_filter.date_to}-{stamp}.csv",
    )


def _with_header(header: list[str], lines: Iterable[list[str]]) -> Iterator[list[str]]:
    yield header
    yield from lines


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def review_export(request: HttpRequest, review_id: str) -> HttpResponse:
    """GET: what the file will hold, and that the export is logged. POST: the file, streamed."""
    staff = logged_in_staff(request)
    _units(staff)
    if request.method != "POST":
        found = actions.visible_review(staff, review_id)
        back = reverse("logreview:review", args=[found.pk])
        return _render_confirm(request, staff, {"review": found, "back": back})
    found, items = actions.export_review(staff, review_id)
    header = [
        _("Nr"),
        *_header(),
        _("Slutsats"),
        _("Kommentar"),
        _("Bedömd av"),
        _("Bedömd"),
    ]
    lines = (
        [
            str(item.item.position),
            *_line(item.row),
            item.latest.get_verdict_display() if item.latest else "",
            (item.latest.comment or "") if item.latest else "",
            item.latest.by.full_name if item.latest else "",
            timezone.localtime(item.latest.at).strftime("%Y-%m-%d %H:%M") if item.latest else "",
        ]
        for item in items
    )
    return _stream(_with_header(header, lines), f"logggranskning-stickprov-{found.drawn_at:%Y-%m-%d}.csv")
