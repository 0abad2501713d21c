from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from vardkontakt.directory.models import EService, Unit
from vardkontakt.directory.search import PAGE_SIZE, UnitQuery, public_units, search_units
from vardkontakt.ids import first_by_id


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    values = {
        "text": request.GET.get("q", ""),
        "municipality": request.GET.get("kommun", ""),
        "eservice": request.GET.get("etjanst", ""),
    }
    errors: dict[str, str] = {}
    searched = False
    results: list[Unit] = []
    total = 0
    try:
        query = UnitQuery.from_input(**values)
    except ValidationError as error:
        errors = {field: messages[0] for field, messages in error.message_dict.items()}
    else:
        searched = not query.is_empty()
        if searched:
            units = search_units(query)
            results = list(units[:PAGE_SIZE])
            total = units.count() if len(results) == PAGE_SIZE else len(results)
    return render(
        request,
        "directory/search.html",
        {
            "values": values,
            "errors": errors,
            "searched": searched,
            "results": results,
            "total": total,
            "eservices": EService.choices,
        },
    )


@require_safe
def unit(request: HttpRequest, unit_id: str) -> HttpResponse:
    found = first_by_id(public_units().select_related("provider"), unit_id)
    if found is None:
        raise Http404
    return render(request, "directory/unit.html", {"unit": found, "services": found.active_eservices()})
