"""Find care (Hitta vård): the public unit search. Pages, API and tests all call ``search_units``."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vardkontakt.directory.models import EService, Unit, UnitStatus, is_municipality_code

PAGE_SIZE = 25
TEXT_MAX_LENGTH = 100


@dataclass(frozen=True)
class UnitQuery:
    """A search as the resident asked it. Constructing one validates it: an invalid query raises
    ``ValidationError`` with one message per field (``municipality``, ``eservice``)."""

    text: str = ""
    municipality: str = ""
    eservice: str = ""

    def __post_init__(self) -> None:
        errors = {}
        if self.municipality and not is_municipality_code(self.municipality):
            errors["municipality"] = _("Kommunkoden ska vara fyra siffror, till exempel 0180.")
        if self.eservice and self.eservice not in EService.values:
            errors["eservice"] = _("Välj en e-tjänst i listan.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_input(cls, text: str, municipality: str, eservice: str) -> UnitQuery:
        """The query from untrusted input (a form or the API); raises ``ValidationError``."""
        return cls(
            text=text.strip()[:TEXT_MAX_LENGTH], municipality=municipality.strip(), eservice=eservice.strip()
        )

    def is_empty(self) -> bool:
        return not (self.text or self.municipality or self.eservice)


def public_units() -> QuerySet[Unit]:
    """Units the public may see: those in the directory that are not deactivated."""
    return Unit.objects.exclude(status=UnitStatus.INACTIVE)


def search_units(query: UnitQuery) -> QuerySet[Unit]:
    """Public units matching every word of the text (in name or city), the municipality and the
    e-service; ordered by name, with provider and e-services loaded for the result list."""
    units = public_units()
    for word in query.text.split():
        units = units.filter(Q(name__icontains=word) | Q(city__icontains=word))
    if query.municipality:
        units = units.filter(municipality_code=query.municipality)
    if query.eservice:
        units = units.filter(
            status=UnitStatus.ACTIVE, eservices__service=query.eservice, eservices__active=True
        )
    return units.select_related("provider").prefetch_related("eservices").order_by("name", "id")
