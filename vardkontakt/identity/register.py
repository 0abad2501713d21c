"""Keeping residents as the population register states them."""

from __future__ import annotations

from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.adapters import PersonRecord, population_register
from vardkontakt.identity.models import Guardianship, Resident, User, UserKind


def _upsert(record: PersonRecord) -> Resident:
    number = pnr.parse(record.personnummer)
    resident = (
        Resident.objects.select_for_update().filter(pnr_index=Resident.index_for(number.digits)).first()
    )
    if resident is None:
        resident = Resident(user=User.objects.create_user(UserKind.RESIDENT))
        resident.set_personnummer(number)
    resident.given_name = record.given_name
    resident.family_name = record.family_name
    resident.municipality_code = record.municipality_code
    resident.protected_identity = record.protected_identity
    resident.deceased = record.deceased
    resident.save()
    if record.deceased and resident.user.is_active:
        User.objects.filter(pk=resident.user_id).update(is_active=False)
    return resident


def update_from_register(record: PersonRecord) -> Resident:
    """Create or update the resident of ``record``, and their custody: children gained are linked,
    children no longer in their custody unlinked. Call inside a transaction."""
    resident = _upsert(record)
    register = population_register()
    children = []
    for digits in record.children:
        child_record = register.lookup(digits)
        if child_record is not None:
            children.append(_upsert(child_record))
    Guardianship.objects.filter(guardian=resident).exclude(child__in=children).delete()
    for child in children:
        Guardianship.objects.get_or_create(guardian=resident, child=child)
    return resident


def resident_by_personnummer(value: str) -> Resident | None:
    """The resident with this personnummer: known here, or fetched from the population register (and
    kept). None if the register does not know them. Raises ``ValidationError`` for a malformed number.
    Call inside a transaction."""
    number = pnr.parse(value)
    known = Resident.objects.filter(pnr_index=Resident.index_for(number.digits)).first()
    if known is not None:
        return known
    record = population_register().lookup(number.digits)
    return None if record is None else update_from_register(record)
