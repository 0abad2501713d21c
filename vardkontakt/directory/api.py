from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from vardkontakt.directory.search import PAGE_SIZE, UnitQuery, search_units

router = Router()


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
    units = search_units(UnitQuery(text=q[:100], municipality=municipality[:4], eservice=eservice[:32]))
    units = units.prefetch_related("eservices")
    return [
        UnitOut(
            id=u.id,
            hsa_id=u.hsa_id,
            name=u.name,
            city=u.city,
            municipality_code=u.municipality_code,
            care_type=u.care_type,
            eservices=u.active_eservices(),
        )
        for u in units[:PAGE_SIZE]
    ]
