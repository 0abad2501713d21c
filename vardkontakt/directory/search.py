"""Find care (Hitta vård): the public unit search. Pages, API and tests all call ``search_units``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from vardkontakt.directory.models import EService, Unit, UnitStatus

PAGE_SIZE = 25


@dataclass(frozen=True)
class UnitQuery:
    text: str = ""
    municipality: str = ""
    eservice: str = ""


def public_units() -> QuerySet[Unit]:
    """Units the public may see: those in the directory that are not deactivated."""
    return Unit.objects.exclude(status=UnitStatus.INACTIVE)


def search_units(query: UnitQuery) -> QuerySet[Unit]:
    units = public_units()
    for word in query.text.split():
        units = units.filter(Q(name__icontains=word) | Q(city__icontains=word))
    if query.municipality:
        units = units.filter(municipality_code=query.municipality)
    if query.eservice in EService.values:
        units = units.filter(
            status=UnitStatus.ACTIVE, eservices__service=query.eservice, eservices__active=True
        )
    return units.select_related("provider").order_by("name", "id")
