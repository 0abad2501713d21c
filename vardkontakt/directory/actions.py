"""State changes in the directory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from django.db import DatabaseError, transaction
from django.db.models import Model

from vardkontakt.directory.adapters import FeedRow, RowRejected, UnitRecord, parse_row
from vardkontakt.directory.models import CareProvider, Region, Unit, UnitEService, UnitStatus

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
    services_changed = _set_eservices(unit, record.eservices)
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


def _set_eservices(unit: Unit, services: frozenset[str]) -> bool:
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
