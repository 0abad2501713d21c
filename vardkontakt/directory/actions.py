"""State changes in the directory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.directory.adapters import FeedRow, RowRejected, UnitRecord, parse_row
from vardkontakt.directory.models import (
    CareProvider,
    Region,
    ServiceAreaSex,
    Unit,
    UnitEService,
    UnitStatus,
    is_municipality_code,
)
from vardkontakt.identity.models import Staff
from vardkontakt.roles.policy import can_edit_unit_settings

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Rejection:
    row: int
    hsa_id: str  # as the row gives it; empty if it gives none
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def import_units(rows: Iterable[FeedRow]) -> ImportReport:
    """Upsert the feed's units by HSA-id, and their providers by the provider's HSA-id.

    The feed describes a unit completely: its directory fields, its provider and which e-services it
    offers (those become active, the others it had become inactive). A new unit is LISTED; an
    existing unit keeps its status, description and service area, which are not the feed's to set.
    A row that fails its checks, names a unit an earlier row already named, or describes a provider
    otherwise than an earlier row did is rejected; each accepted row is written in a savepoint of
    one transaction, so a row is either wholly written or not at all. Importing the same rows again
    changes nothing.
    """
    report = ImportReport()
    regions = {region.code: region for region in Region.objects.all()}
    unit_rows: dict[str, int] = {}
    provider_rows: dict[str, tuple[tuple[str, str, str], int]] = {}
    with transaction.atomic():
        for row in rows:
            try:
                record = parse_row(row, regions.keys())
                provider = (record.provider_name, record.provider_org_number, record.region_code)
                if record.hsa_id in unit_rows:
                    raise RowRejected(
                        [f"hsa_id {record.hsa_id} is already in row {unit_rows[record.hsa_id]}"]
                    )
                earlier = provider_rows.get(record.provider_hsa_id)
                if earlier is not None and earlier[0] != provider:
                    raise RowRejected(
                        [f"provider {record.provider_hsa_id} is described otherwise in row {earlier[1]}"]
                    )
                with transaction.atomic():
                    outcome = _write(record, regions[record.region_code])
            except RowRejected as rejected:
                report.rejected.append(Rejection(row.number, row.given_hsa_id, str(rejected)))
                continue
            except DatabaseError as error:
                reason = f"the database refused the row: {error}"
                report.rejected.append(Rejection(row.number, row.given_hsa_id, reason))
                continue
            unit_rows[record.hsa_id] = row.number
            provider_rows.setdefault(record.provider_hsa_id, (provider, row.number))
            if outcome == "created":
                report.created += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _write(record: UnitRecord, region: Region) -> Literal["created", "updated", "unchanged"]:
    """Upsert one record; return "created", "updated" or "unchanged"."""
    provider, _, provider_changed = _upsert(
        CareProvider,
        record.provider_hsa_id,
        {
            "name": record.provider_name,
            "organisation_number": record.provider_org_number,
            "region_id": region.pk,
        },
    )
    unit, created, unit_changed = _upsert(
        Unit,
        record.hsa_id,
        {
            "name": record.name,
            "provider_id": provider.pk,
            "region_id": region.pk,
            "care_type": record.care_type,
            "street_address": record.street_address,
            "postal_code": record.postal_code,
            "city": record.city,
            "municipality_code": record.municipality_code,
            "latitude": record.latitude,
            "longitude": record.longitude,
            "phone": record.phone,
            "opening_hours": record.opening_hours,
        },
        new={"status": UnitStatus.LISTED},
    )
    services_changed = set_eservices(unit, record.eservices)
    if created:
        return "created"
    return "updated" if provider_changed or unit_changed or services_changed else "unchanged"


def _upsert(
    model: type[M], hsa_id: str, values: dict[str, Any], new: dict[str, Any] | None = None
) -> tuple[M, bool, bool]:
    """The row with ``hsa_id`` set to ``values`` (plus ``new`` if it is created): (row, created, changed)."""
    found = model._default_manager.filter(hsa_id=hsa_id).first()
    if found is None:
        return model._default_manager.create(hsa_id=hsa_id, **values, **(new or {})), True, False
    changed = [name for name, value in values.items() if getattr(found, name) != value]
    for name in changed:
        setattr(found, name, values[name])
    if changed:
        found.save(update_fields=changed)
    return found, False, bool(changed)


def set_eservices(unit: Unit, services: frozenset[str]) -> bool:
    """Make exactly ``services`` the unit's active e-services; keep the others' rows, inactive."""
    existing = {service.service: service for service in unit.eservices.all()}
    changed = False
    for code in sorted(services - existing.keys()):
        UnitEService.objects.create(unit=unit, service=code, active=True)
        changed = True
    for code, service in existing.items():
        if service.active != (code in services):
            service.active = code in services
            service.save(update_fields=["active"])
            changed = True
    return changed


# --- The clinic's own settings (staff tool) -----------------------------------------------------------------

DESCRIPTION_MAX_LENGTH = 2000
OLDEST_AGE = 130


def _refuse_unless_local_admin(actor: Staff, unit: Unit) -> None:
    if not can_edit_unit_settings(actor, unit):
        raise PermissionDenied(_("Du får inte ändra mottagningens inställningar."))


@transaction.atomic
def set_unit_description(actor: Staff, unit: Unit, description: str) -> Unit:
    """The clinic's free text on its contact card. The access log records who changed it, and when."""
    _refuse_unless_local_admin(actor, unit)
    text = description.strip()
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": _("Texten får vara högst %(max)s tecken.") % {"max": DESCRIPTION_MAX_LENGTH}}
        )
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    locked.description = text
    locked.save(update_fields=["description"])
    record(actor=actor.user, action="unit.description", object_type="Unit", object_id=unit.pk, unit=unit)
    return locked


def clean_service_area(
    region: Region, municipalities: list[str], sex: str, min_age: int | None, max_age: int | None
) -> list[str]:
    """Check a service area; return the municipality codes sorted, without repeats. The region is
    always the unit's own; municipalities must lie in it (a kommunkod starts with the county code)."""
    errors: dict[str, list[str]] = {}
    codes = sorted(set(municipalities))
    bad = [code for code in codes if not is_municipality_code(code)]
    outside = [code for code in codes if code not in bad and code[:2] != region.code]
    if bad:
        errors["municipalities"] = [
            _("En kommunkod har fyra siffror, till exempel 0184. Kontrollera: %(codes)s.")
            % {"codes": ", ".join(bad)}
        ]
    elif outside:
        errors["municipalities"] = [
            _(
                "Kommunerna måste ligga i %(region)s (kommunkoder som börjar på %(code)s). Kontrollera: %(codes)s."
            )
            % {"region": region.name, "code": region.code, "codes": ", ".join(outside)}
        ]
    if sex not in ("", *ServiceAreaSex.values):
        errors["sex"] = [_("Välj kvinnor, män eller alla.")]
    for name, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= OLDEST_AGE:
            errors[name] = [_("Ange en ålder mellan 0 och %(max)s år.") % {"max": OLDEST_AGE}]
    ages_valid = "min_age" not in errors and "max_age" not in errors
    if ages_valid and min_age is not None and max_age is not None and min_age > max_age:
        errors["max_age"] = [_("Den högsta åldern kan inte vara lägre än den lägsta.")]
    if errors:
        raise ValidationError(errors)
    return codes


@transaction.atomic
def set_service_area(
    actor: Staff,
    unit: Unit,
    *,
    municipalities: list[str],
    sex: str,
    min_age: int | None,
    max_age: int | None,
) -> Unit:
    """The clinic's service area (betjäningsområde): its region, optionally narrowed to municipalities,
    one sex and an age range. The access log records who changed it, and when."""
    _refuse_unless_local_admin(actor, unit)
    locked = Unit.objects.select_for_update().select_related("region").get(pk=unit.pk)
    locked.service_area_municipalities = clean_service_area(
        locked.region, municipalities, sex, min_age, max_age
    )
    locked.service_area_sex = sex
    locked.service_area_min_age = min_age
    locked.service_area_max_age = max_age
    locked.save(
        update_fields=[
            "service_area_municipalities",
            "service_area_sex",
            "service_area_min_age",
            "service_area_max_age",
        ]
    )
    record(actor=actor.user, action="unit.service_area", object_type="Unit", object_id=unit.pk, unit=unit)
    return locked
