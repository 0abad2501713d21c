from __future__ import annotations

import json
import uuid

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import ValidationError as ApiValidationError

from vardkontakt.directory.search import PAGE_SIZE, UnitQuery, search_units

router = Router()

JSON = "application/json; charset=utf-8"  # as ninja's JSON renderer answers

# UnitQuery.from_input's errors by the name of the query parameter they concern here.
_PARAMETERS = {
    "municipality": ["municipality"],
    "care_type": ["care_type"],
    "eservice": ["eservice"],
    "sort": ["sort"],
    "place": ["place"],
    "coordinates": ["lat", "lon"],
}


class UnitOut(Schema):
    id: uuid.UUID
    hsa_id: str
    name: str
    city: str
    municipality_code: str
    care_type: str
    eservices: list[str]
    distance_km: float | None


@router.get("", response=list[UnitOut], summary="Search units (Hitta vård)")
def list_units(
    request: HttpRequest,
    q: str = "",
    municipality: str = "",
    care_type: str = "",
    eservice: str = "",
    sort: str = "",
    place: str = "",
    lat: str = "",
    lon: str = "",
) -> HttpResponse:
    """Public units, at most 25, in the order of ``sort``: ``relevance`` (the default with ``q``;
    without it, by name) or ``distance`` from ``place`` (a municipality or town of the region) or from
    ``lat``/``lon`` (WGS 84 decimal degrees). ``municipality`` is a four-digit code, ``care_type`` and
    ``eservice`` codes. If no unit matches ``q`` the words are corrected for typos and searched again.
    An invalid parameter answers 422 with the problem per parameter, and searches nothing."""
    try:
        query = UnitQuery.from_input(
            text=q,
            municipality=municipality,
            care_type=care_type,
            eservice=eservice,
            sort=sort,
            place=place,
            latitude=lat,
            longitude=lon,
        )
    except ValidationError as error:
        raise ApiValidationError(
            [
                {"type": "value_error", "loc": ["query", parameter], "msg": messages[0]}
                for field, messages in error.message_dict.items()
                for parameter in _PARAMETERS[field]
            ]
        ) from error
    # The rows as UnitOut describes them (the OpenAPI document says so), written as ninja's renderer
    # writes them; validating each hit through the schema again cost more than the search itself.
    # tests/test_api.py checks the body against UnitOut.
    rows = [
        {
            "id": str(hit.id),
            "hsa_id": hit.hsa_id,
            "name": hit.name,
            "city": hit.city,
            "municipality_code": hit.municipality_code,
            "care_type": hit.care_type,
            "eservices": [service.value for service in hit.eservices],
            "distance_km": None if hit.distance_km is None else round(hit.distance_km, 2),
        }
        for hit in search_units(query, PAGE_SIZE).hits
    ]
    return HttpResponse(json.dumps(rows), content_type=JSON)
