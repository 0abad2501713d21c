from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import ValidationError as ApiValidationError

from vardkontakt.directory.search import PAGE_SIZE, UnitQuery, search_units

router = Router()

# UnitQuery's fields by the name of their query parameter here.
_PARAMETERS = {"text": "q", "municipality": "municipality", "eservice": "eservice"}


class UnitOut(Schema):
    id: uuid.UUID
    hsa_id: str
    name: str
    city: str
    municipality_code: str
    care_type: str
    eservices: list[str]


@router.get("", response=list[UnitOut], summary="Search units (Hitta vård)")
def list_units(
    request: HttpRequest, q: str = "", municipality: str = "", eservice: str = ""
) -> list[UnitOut]:
    """Public units, at most 25. ``municipality`` is a four-digit code; ``eservice`` an e-service code.
    An invalid filter answers 422 with the problem per parameter, and searches nothing."""
    try:
        query = UnitQuery.from_input(q, municipality, eservice)
    except ValidationError as error:
        raise ApiValidationError(
            [
                {"type": "value_error", "loc": ["query", _PARAMETERS[field]], "msg": messages[0]}
                for field, messages in error.message_dict.items()
            ]
        ) from error
    return [
        UnitOut(
            id=u.id,
            hsa_id=u.hsa_id,
            name=u.name,
            city=u.city,
            municipality_code=u.municipality_code,
            care_type=u.care_type,
            eservices=[service.value for service in u.active_eservices()],
        )
        for u in search_units(query)[:PAGE_SIZE]
    ]
