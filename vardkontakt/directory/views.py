from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from vardkontakt.directory.contact_card import offers, service_area
from vardkontakt.directory.models import CareType, EService
from vardkontakt.directory.search import (
    DISTANCE,
    RELEVANCE,
    Hit,
    SearchResult,
    UnitQuery,
    municipalities,
    public_units,
    search_units,
)
from vardkontakt.identity.access import acting_resident
from vardkontakt.identity.session import Realm, current_realm
from vardkontakt.ids import ID_PLACEHOLDERS, first_by_id, url_pattern

# The form's fields: (query parameter, UnitQuery.from_input argument), in the order of the page.
FIELDS = [
    ("q", "text"),
    ("kommun", "municipality"),
    ("typ", "care_type"),
    ("etjanst", "eservice"),
    ("plats", "place"),
    ("sortering", "sort"),
]


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    values = {argument: request.GET.get(parameter, "") for parameter, argument in FIELDS}
    errors: dict[str, str] = {}
    result: SearchResult | None = None
    query: UnitQuery | None = None
    try:
        query = UnitQuery.from_input(**values)
    except ValidationError as error:
        errors = {field: messages[0] for field, messages in error.message_dict.items()}
    else:
        if not query.is_empty():
            result = search_units(query)
    return render(
        request,
        "directory/search.html",
        {
            "values": values,
            "errors": errors,
            # The error summary, in the order of the form: (the field's id, the message).
            "error_list": [
                (parameter, errors[argument]) for parameter, argument in FIELDS if argument in errors
            ],
            "result": result,
            "rows": _rows(result.hits) if result else [],
            "origin": query.origin if query else None,
            "sort": query.sort if query else values["sort"],
            # The options of the selects: (value, label, selected).
            "municipalities": [(m.code, m.name, m.code == values["municipality"]) for m in municipalities()],
            "care_types": [(code, label, code == values["care_type"]) for code, label in CareType.choices],
            "eservices": [(code, label, code == values["eservice"]) for code, label in EService.choices],
            "relevance": RELEVANCE,
            "distance": DISTANCE,
        },
    )


def _rows(hits: list[Hit]) -> list[tuple[str, str, str, float | None, str]]:
    """Per hit, what the page shows: the address of its contact card, its name, its city, its distance
    and the line of its e-services ("E-tjänster: …" or "Inga e-tjänster i Vårdkontakt"). The address is
    reversed once per process (``url_pattern``) and the labels are translated once per page, rather
    than once per hit; the HTML is what ``{% url %}`` and ``{% translate %}`` would give
    (tests/test_search.py)."""
    url, placeholder = url_pattern("directory:unit"), ID_PLACEHOLDERS[0]
    labels = {service: str(service.label) for service in EService}
    prefix, none = gettext("E-tjänster:"), gettext("Inga e-tjänster i Vårdkontakt")
    return [
        (
            url.replace(placeholder, str(hit.id), 1),
            hit.name,
            hit.city,
            hit.distance_km,
            f"{prefix} {', '.join(labels[service] for service in hit.eservices)}" if hit.eservices else none,
        )
        for hit in hits
    ]


@require_safe
def unit(request: HttpRequest, unit_id: str) -> HttpResponse:
    # The e-services once, for the list and for the offers (both read ``active_eservices``).
    units = public_units().select_related("provider", "region").prefetch_related("eservices")
    found = first_by_id(units, unit_id)
    if found is None:
        raise Http404
    resident = acting_resident(request) if current_realm(request) == Realm.RESIDENT else None
    return render(
        request,
        "directory/unit.html",
        {
            "unit": found,
            "services": found.active_eservices(),
            "offers": offers(found, resident),
            "logged_in": resident is not None,
            "service_area": service_area(found),
        },
    )
