"""The HSA / EK-katalogen file feed (DESIGN.md §4): read a CSV or JSON file of units and check each
row. Writing them is ``actions.import_units``. The format is described in docs/catalogue-feed.md.

Two kinds of failure: ``FeedError`` when the file as a whole cannot be read (nothing of it may be
imported), ``RowRejected`` when one row is wrong (the others still can be).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Model

from vardkontakt.directory.models import CareProvider, CareType, EService, Unit, is_municipality_code
from vardkontakt.identity.hsa import normalize_hsa_id

FORMATS = ("csv", "json")
COLUMNS = (
    "hsa_id",
    "name",
    "provider_hsa_id",
    "provider_name",
    "provider_org_number",
    "region_code",
    "care_type",
    "street_address",
    "postal_code",
    "city",
    "municipality_code",
    "latitude",
    "longitude",
    "phone",
    "opening_hours",
    "eservices",
)
REQUIRED = (
    "hsa_id",
    "name",
    "provider_hsa_id",
    "provider_name",
    "provider_org_number",
    "region_code",
    "care_type",
    "municipality_code",
)
_TEXT = tuple(key for key in COLUMNS if key not in {"latitude", "longitude", "eservices"})
# The model field each free-text column is stored in, for its max_length.
_STORED_IN: dict[str, tuple[type[Model], str]] = {
    "name": (Unit, "name"),
    "provider_name": (CareProvider, "name"),
    "street_address": (Unit, "street_address"),
    "postal_code": (Unit, "postal_code"),
    "city": (Unit, "city"),
    "phone": (Unit, "phone"),
}
# Sweden, roughly (decimal degrees, WGS 84).
LATITUDE_BOUNDS = (Decimal("55.0"), Decimal("69.5"))
LONGITUDE_BOUNDS = (Decimal("10.5"), Decimal("24.5"))
_COORDINATE_STEP = Decimal("0.00001")  # the model keeps five decimals


class FeedError(Exception):
    """The file cannot be read as a feed; the message names the problem."""


class RowRejected(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class FeedRow:
    """One unit as the file gives it. ``number``: in a CSV file the line where the row starts (the
    header is line 1), in a JSON file its position in the list, from 1."""

    number: int
    fields: dict[str, object]
    problem: str = ""  # set when the row could not even be split into fields

    @property
    def given_hsa_id(self) -> str:
        value = self.fields.get("hsa_id")
        return value.strip()[:40] if isinstance(value, str) else ""


@dataclass(frozen=True)
class UnitRecord:
    """A checked row: HSA-ids in canonical form, coordinates rounded to the model's precision."""

    hsa_id: str
    name: str
    provider_hsa_id: str
    provider_name: str
    provider_org_number: str
    region_code: str
    care_type: str
    street_address: str
    postal_code: str
    city: str
    municipality_code: str
    phone: str
    opening_hours: str
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    eservices: frozenset[str] = field(default_factory=frozenset)


def read_feed(path: Path, feed_format: str) -> list[FeedRow]:
    """The rows of the file, or ``FeedError``. UTF-8 (a byte-order mark is allowed)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FeedError(f"cannot read the file: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedError(f"not UTF-8 text (byte {error.start} cannot be decoded)") from error
    if not text.strip():
        raise FeedError("the file is empty")
    rows = _read_csv(text) if feed_format == "csv" else _read_json(text)
    if not rows:
        raise FeedError("the file holds no units")
    return rows


def _read_csv(text: str) -> list[FeedRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise FeedError("the header lacks the required columns " + ", ".join(missing))
        unknown = [name for name in header if name not in COLUMNS]
        if unknown:
            raise FeedError("the header has unknown columns " + ", ".join(unknown))
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise FeedError("the header repeats the columns " + ", ".join(repeated))
        rows = []
        end = reader.line_num
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record:  # a blank line
                continue
            fields: dict[str, object] = dict(zip(header, record, strict=False))
            if len(record) != len(header):
                problem = f"the row has {len(record)} fields, the header {len(header)}"
                rows.append(FeedRow(start, fields, problem))
                continue
            services = str(fields.get("eservices", ""))
            fields["eservices"] = [code.strip() for code in services.split("|") if code.strip()]
            rows.append(FeedRow(start, fields))
    except csv.Error as error:
        raise FeedError(f"not valid CSV at line {reader.line_num}: {error}") from error
    return rows


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


def _read_json(text: str) -> list[FeedRow]:
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise FeedError(f"not valid JSON: {error}") from error
    if not isinstance(data, list):
        raise FeedError("the JSON is not a list of units")
    rows = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise FeedError(f"item {number} of the JSON list is not an object")
        rows.append(FeedRow(number, item))
    return rows


def parse_row(row: FeedRow, region_codes: Collection[str]) -> UnitRecord:
    """The checked unit of ``row``, or ``RowRejected`` with every problem found."""
    if row.problem:
        raise RowRejected([row.problem])
    reasons: list[str] = []
    unknown = sorted(set(row.fields) - set(COLUMNS))
    if unknown:
        reasons.append("unknown keys " + ", ".join(unknown))

    text: dict[str, str] = {}
    for key in _TEXT:
        value = row.fields.get(key)
        if value is not None and not isinstance(value, str):
            reasons.append(f"{key} is not text")
            value = None
        text[key] = (value or "").strip()
    absent = [key for key in REQUIRED if not text[key]]
    if absent:
        reasons.append("missing " + ", ".join(absent))
    for key, (model, name) in _STORED_IN.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit is not None and len(text[key]) > limit:
            reasons.append(f"{key} is longer than {limit} characters")

    for key in ("hsa_id", "provider_hsa_id"):
        if text[key]:
            try:
                text[key] = normalize_hsa_id(text[key])
            except ValidationError as error:
                reasons.append(f"{key} {text[key]!r} is not a valid HSA-id: {error.messages[0]}")
    org_number = text["provider_org_number"]
    if org_number and not (len(org_number) == 10 and org_number.isascii() and org_number.isdigit()):
        reasons.append(f"provider_org_number {org_number!r} is not ten digits")
    region = text["region_code"]
    if region and region not in region_codes:
        reasons.append(f"region_code {region!r} names no region in the directory")
    if text["care_type"] and text["care_type"] not in CareType.values:
        reasons.append(f"care_type {text['care_type']!r} is not one of " + ", ".join(CareType.values))
    municipality = text["municipality_code"]
    if municipality and not is_municipality_code(municipality):
        reasons.append(f"municipality_code {municipality!r} is not four digits")
    elif municipality and region and not municipality.startswith(region):
        reasons.append(f"municipality_code {municipality} is not in region {region}")

    raw_latitude, raw_longitude = row.fields.get("latitude"), row.fields.get("longitude")
    if _blank(raw_latitude) != _blank(raw_longitude):
        reasons.append("latitude and longitude go together: give both or neither")
    latitude = _coordinate(raw_latitude, "latitude", LATITUDE_BOUNDS, reasons)
    longitude = _coordinate(raw_longitude, "longitude", LONGITUDE_BOUNDS, reasons)

    services = row.fields.get("eservices")
    if services is None:
        services = []
    if not isinstance(services, list) or not all(isinstance(code, str) for code in services):
        reasons.append("eservices is not a list of e-service codes")
        services = []
    unknown_services = [code for code in services if code not in EService.values]
    if unknown_services:
        reasons.append("unknown e-service codes " + ", ".join(map(repr, unknown_services)))

    if reasons:
        raise RowRejected(reasons)
    return UnitRecord(
        **{key: text[key] for key in _TEXT},
        latitude=latitude,
        longitude=longitude,
        eservices=frozenset(services),
    )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _coordinate(
    value: object, key: str, bounds: tuple[Decimal, Decimal], reasons: list[str]
) -> Decimal | None:
    if _blank(value):
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise InvalidOperation
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        reasons.append(f"{key} {value!r} is not a number")
        return None
    if not number.is_finite() or not bounds[0] <= number <= bounds[1]:
        reasons.append(f"{key} {value} is outside Sweden ({bounds[0]} to {bounds[1]})")
        return None
    return number.quantize(_COORDINATE_STEP)
