from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from vardkontakt.directory.models import EService
from vardkontakt.directory.search import PAGE_SIZE, UnitQuery, public_units, search_units
from vardkontakt.ids import first_by_id


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = UnitQuery(
        text=request.GET.get("q", "").strip()[:100],
        municipality=request.GET.get("kommun", "").strip()[:4],
        eservice=request.GET.get("etjanst", "").strip()[:32],
    )
    searched = any([query.text, query.municipality, query.eservice])
    results = list(search_units(query)[:PAGE_SIZE]) if searched else []
    template = "directory/_results.html" if request.headers.get("HX-Request") else "directory/search.html"
    return render(
        request,
        template,
        {"query": query, "results": results, "searched": searched, "eservices": EService.choices},
    )


@require_safe
def unit(request: HttpRequest, unit_id: str) -> HttpResponse:
    found = first_by_id(public_units().select_related("provider", "region"), unit_id)
    if found is None:
        raise Http404
    labels = dict(EService.choices)
    services = [(code, labels[code]) for code in found.active_eservices()]
    return render(request, "directory/unit.html", {"unit": found, "services": services})
