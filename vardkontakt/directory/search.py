"""Find care (Hitta vård): the public unit search. The page, the API and the tests all call
``search_units``, which gives the same results on PostgreSQL and on SQLite.

Matching: every word of the text (lower-cased, å, ä, ö kept, Swedish stop words left out) must occur
in the unit's name or city as its Swedish stem (``swedish.stem``, the Snowball stemmer PostgreSQL's
``swedish`` configuration uses). A stem matches anywhere in a word, so inflections match
("vårdcentralen" → "vårdcentral") and compound words match by their parts ("vaccination" and
"mottagning" both find "Vaccinationsmottagning"). Words of one or two letters must be whole words.
If nothing matches, the typo fallback replaces each word that occurs nowhere with the word of the
index most like it (pg_trgm ``similarity`` on forms where å, ä → a and ö → o; ties kept) and searches
again; the result says so.

Ranking, per word (the best of its replacements): 8 if the word's stem is the stem of a word of the
name, 4 if a word of the name starts with it, 2 if the name contains it, 1 if only the city does;
summed. Ties: the shorter name, then the name, then the id. Sorting by distance instead orders by
the distance from a place (a municipality or town of the region, or coordinates).

PostgreSQL runs all of this in one statement over one table, the index of ``search_index.py`` (per
unit its words and tsvector, GIN-indexed, and a copy of its public fields, active e-services and
agreement days, all kept in step by triggers): the words of the vocabulary that contain each stem (a
trigram index), the rows that have one of them for every word and pass the filters
(``_filters_sql``: ``_filtered``'s rule over the copy), ranked, ordered and counted by their key,
then the page's rows read whole. No other row is read per match. The typo fallback asks in one more
statement which words occur and what the vocabulary has like the others. SQLite matches with FTS5
and ranks the matches in Python (``_score``), the same rules. Either way a hit is a ``Hit``: the
unit's public fields and its active e-services (``models.usable_eservices``, the rule of
``Unit.active_eservices``), not a model instance.
"""

from __future__ import annotations

import csv
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, FloatField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.directory import swedish
from vardkontakt.directory.models import (
    Agreement,
    CareType,
    EService,
    Unit,
    UnitEService,
    UnitStatus,
    is_municipality_code,
    usable_eservices,
)

PAGE_SIZE = 25
TEXT_MAX_LENGTH = 100
TYPO_SIMILARITY = 0.31  # pg_trgm's own default threshold is 0.3
TYPO_ALTERNATIVES = 3
KM_PER_DEGREE = 111.2

RELEVANCE = "relevance"
DISTANCE = "distance"
SORTS = (RELEVANCE, DISTANCE)

MUNICIPALITIES_FILE = Path(__file__).resolve().parent / "data" / "municipalities.csv"


# --- Places ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where distances are measured from: a municipality's central town, a town, or coordinates."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    latitude: float  # the central town (centralort), approximately
    longitude: float


@cache
def municipalities() -> tuple[Municipality, ...]:
    """Region Stockholm's 26 municipalities (data/municipalities.csv), by name."""
    with MUNICIPALITIES_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [
            Municipality(row["code"], row["name"], float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda m: m.name))


def municipality_name(code: str) -> str:
    return next((m.name for m in municipalities() if m.code == code), code)


def find_place(text: str) -> Place | None:
    """A municipality of the region by name, else a town where public units are (the average of their
    coordinates), else a municipality whose name is typed without å, ä, ö ("Taby"). Case does not
    matter."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    by_name = {m.name.casefold(): m for m in municipalities()}
    if wanted in by_name:
        return _municipality_place(by_name[wanted])
    towns = [
        (city, float(lat), float(lon))
        for city, lat, lon in public_units()
        .filter(city__iexact=wanted, latitude__isnull=False, longitude__isnull=False)
        .values_list("city", "latitude", "longitude")
        if lat is not None and lon is not None and city.casefold() == wanted
    ]
    if towns:
        return Place(
            towns[0][0],
            sum(lat for _, lat, _ in towns) / len(towns),
            sum(lon for _, _, lon in towns) / len(towns),
        )
    folded = {swedish.fold(name): m for name, m in by_name.items()}
    found = folded.get(swedish.fold(wanted))
    return _municipality_place(found) if found else None


def _municipality_place(municipality: Municipality) -> Place:
    return Place(municipality.name, municipality.latitude, municipality.longitude)


def distance_km(place: Place, latitude: Any, longitude: Any) -> float | None:
    """As the crow flies, approximately (equirectangular: within about 1 % over a region)."""
    if latitude is None or longitude is None:
        return None
    dy = float(latitude) - place.latitude
    dx = (float(longitude) - place.longitude) * math.cos(math.radians(place.latitude))
    return KM_PER_DEGREE * math.hypot(dx, dy)


# --- The query -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitQuery:
    """A search as the resident asked it. Constructing one validates it: an invalid query raises
    ``ValidationError`` with one message per field (``municipality``, ``care_type``, ``eservice``,
    ``sort``, ``place``)."""

    text: str = ""
    municipality: str = ""
    care_type: str = ""
    eservice: str = ""
    sort: str = ""  # "" (relevance if there is text, else by name), RELEVANCE or DISTANCE
    origin: Place | None = None

    def __post_init__(self) -> None:
        errors: dict[str, Any] = {}
        if self.municipality and not is_municipality_code(self.municipality):
            errors["municipality"] = _("Kommunkoden ska vara fyra siffror, till exempel 0180.")
        if self.care_type and self.care_type not in CareType.values:
            errors["care_type"] = _("Välj en typ av vård i listan.")
        if self.eservice and self.eservice not in EService.values:
            errors["eservice"] = _("Välj en e-tjänst i listan.")
        if self.sort and self.sort not in SORTS:
            errors["sort"] = _("Välj hur träffarna ska sorteras.")
        elif self.sort == DISTANCE and self.origin is None:
            errors["place"] = _("Skriv en kommun eller ort att räkna avståndet från.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_input(
        cls,
        text: str = "",
        municipality: str = "",
        care_type: str = "",
        eservice: str = "",
        sort: str = "",
        place: str = "",
        latitude: str = "",
        longitude: str = "",
    ) -> UnitQuery:
        """The query from untrusted input (a form or the API); raises ``ValidationError`` naming
        every field that is wrong. ``place`` is looked up (``find_place``); ``latitude`` and
        ``longitude`` (the API) give the place as coordinates instead."""
        errors: dict[str, Any] = {}
        origin: Place | None = None
        place = " ".join(place.split())[:TEXT_MAX_LENGTH]
        if latitude.strip() or longitude.strip():
            origin = _coordinates(latitude, longitude)
            if origin is None:
                errors["coordinates"] = _(
                    "Ange latitud och longitud i Sverige som decimaltal, till exempel 59.33 och 18.06."
                )
        elif place:
            origin = find_place(place)
            if origin is None:
                errors["place"] = _(
                    "Det finns ingen kommun eller ort med det namnet i regionen. Skriv till exempel Solna eller Täby."
                )
        sort = sort.strip()
        if not sort and origin is not None:
            sort = DISTANCE
        values = {
            "text": text.strip()[:TEXT_MAX_LENGTH],
            "municipality": municipality.strip(),
            "care_type": care_type.strip(),
            "eservice": eservice.strip(),
            "sort": sort,
        }
        try:
            query = cls(**values, origin=origin)
        except ValidationError as invalid:
            for name, messages in invalid.message_dict.items():
                errors.setdefault(name, messages[0])  # a place not found says more than "write a place"
        if errors:
            raise ValidationError(errors)
        return query

    def is_empty(self) -> bool:
        return not (self.text or self.municipality or self.care_type or self.eservice or self.origin)


def _coordinates(latitude: str, longitude: str) -> Place | None:
    try:
        lat, lon = float(latitude), float(longitude)
    except ValueError:
        return None
    if not (55.0 <= lat <= 69.1 and 10.9 <= lon <= 24.2):  # Sweden, roughly
        return None
    return Place(f"{lat:.5f}, {lon:.5f}", lat, lon)


# --- Results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """A unit found: what the page and the API show of it."""

    id: uuid.UUID
    hsa_id: str
    name: str
    city: str
    municipality_code: str
    care_type: str
    eservices: list[EService]  # the active ones, as ``Unit.active_eservices`` gives them
    distance_km: float | None = None  # when the query has a place


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int
    corrected: str = ""  # the words searched instead, when the typo fallback ran


def public_units(on: date | None = None) -> QuerySet[Unit]:
    """Units the public may see (on the day ``on``, today by default): with an agreement with the
    region in force, and not deactivated."""
    return Unit.objects.exclude(status=UnitStatus.INACTIVE).filter(
        Exists(Agreement.objects.in_force(on).filter(unit=OuterRef("pk")))
    )


def search_units(query: UnitQuery, limit: int = PAGE_SIZE) -> SearchResult:
    """The first ``limit`` public units that match ``query``, in its order, and how many match."""
    words: list[Word] = [(word,) for word in _query_words(query.text)]
    search = _ranked_in_sql if connection.vendor == "postgresql" else _ranked_here
    hits, total = search(query, words, limit)
    corrected = ""
    if total == 0 and words:
        replaced = _typo_alternatives(words)
        if replaced != words:
            hits, total = search(query, replaced, limit)
            corrected = " ".join(alternatives[0] for alternatives in replaced)
    return SearchResult(hits, total, corrected)


def _query_words(text: str) -> list[str]:
    found: list[str] = []
    for word in swedish.words(text):
        if word not in swedish.STOP_WORDS and word not in found:
            found.append(word)
    return found


def _filtered(query: UnitQuery, on: date | None = None) -> QuerySet[Unit]:
    """The public units (on the day ``on``) that pass the query's filters; its text aside."""
    units = public_units(on)
    if query.municipality:
        units = units.filter(municipality_code=query.municipality)
    if query.care_type:
        units = units.filter(care_type=query.care_type)
    if query.eservice:
        offered = UnitEService.objects.filter(unit=OuterRef("pk"), service=query.eservice, active=True)
        units = units.filter(Exists(offered), status=UnitStatus.ACTIVE)
    return units


# A query word and what may stand for it: itself, or its typo alternatives.
Word = tuple[str, ...]


def _hit(unit: Unit, query: UnitQuery) -> Hit:
    distance = None if query.origin is None else distance_km(query.origin, unit.latitude, unit.longitude)
    return Hit(
        unit.id,
        unit.hsa_id,
        unit.name,
        unit.city,
        unit.municipality_code,
        unit.care_type,
        unit.active_eservices(),
        distance,
    )


def _distance_expression(place: Place) -> Any:
    """Squared equirectangular distance in degrees of latitude: orders like the distance."""
    dy = Cast("latitude", FloatField()) - place.latitude
    dx = (Cast("longitude", FloatField()) - place.longitude) * math.cos(math.radians(place.latitude))
    return dy * dy + dx * dx


def _distance_sql(place: Place) -> tuple[str, list[object]]:
    """PostgreSQL: ``_distance_expression`` over the search table ``s``."""
    sql = "(s.latitude - %s) * (s.latitude - %s) + ((s.longitude - %s) * %s) * ((s.longitude - %s) * %s)"
    k = math.cos(math.radians(place.latitude))
    return sql, [place.latitude, place.latitude, place.longitude, k, place.longitude, k]


def _like(stem: str) -> str:
    return f"%{stem}%"  # stems are letters and digits only: nothing to escape


# A word as a tsquery, computed once per statement (a subquery): a prepared statement's generic plan
# would otherwise parse and stem it again for every row.
_TSQUERY = "(SELECT to_tsquery('swedish', %s))"


# The words of the vocabulary that contain a stem (its trigram index), computed once per statement.
_TERMS = "ARRAY(SELECT term FROM directory_search_term WHERE term LIKE %s)"


def _conditions(words: Sequence[Word], alias: str) -> tuple[str, list[str]]:
    """PostgreSQL: the condition on a row ``alias`` of ``directory_unit_search`` that it has every
    word (one of its alternatives): a word of its name or city that contains the word's stem (the
    GIN index of ``terms``), or for a stem of one or two letters, that word itself."""
    conditions, params = [], []
    for alternatives in words:
        ors = []
        for word in alternatives:
            stem = swedish.stem(word)
            if len(stem) >= 3:
                ors.append(f"{alias}.terms && {_TERMS}")
                params.append(_like(stem))
            else:
                ors.append(f"{alias}.document @@ {_TSQUERY}")  # the tsvector index
                params.append(word)
        conditions.append("(" + " OR ".join(ors) + ")")
    return " AND ".join(conditions), params


def score_sql(words: Sequence[Word]) -> tuple[str, list[str]]:
    """PostgreSQL: ``_score`` in SQL over a row ``s`` of ``directory_unit_search`` (the tsvector
    answers "the stem of a word of the name": weight A; ``lower_name`` is ' ' || lower(name))."""
    terms, params = [], []
    for alternatives in words:
        cases = []
        for word in alternatives:
            stem = swedish.stem(word)
            cases.append(
                f"CASE WHEN s.document @@ {_TSQUERY} THEN 8"
                " WHEN s.lower_name LIKE %s THEN 4"
                " WHEN s.lower_name LIKE %s THEN 2 ELSE 1 END"
            )
            params += [f"{word}:A", f"% {stem}%", _like(stem)]
        terms.append(f"GREATEST({', '.join(cases)})")
    return " + ".join(terms), params


def _filters_sql(query: UnitQuery, on: date) -> tuple[str, list[Any]]:
    """PostgreSQL: ``_filtered`` (on the day ``on``) over the search table's copy ``s`` of each unit:
    not inactive, an agreement holding that day, and the query's filters."""
    conditions = ["s.status <> %s", "s.agreements @> %s::date"]
    params: list[Any] = [UnitStatus.INACTIVE, on]
    if query.municipality:
        conditions.append("s.municipality_code = %s")
        params.append(query.municipality)
    if query.care_type:
        conditions.append("s.care_type = %s")
        params.append(query.care_type)
    if query.eservice:
        conditions.append("s.eservices @> ARRAY[%s]::text[] AND s.status = %s")
        params += [query.eservice, UnitStatus.ACTIVE]
    return " AND ".join(conditions), params


# What the search reads of a unit (PostgreSQL): its fields for ``Hit``, and the count of all matches.
_COLUMNS = (
    "s.unit_id, s.hsa_id, s.name, s.city, s.municipality_code, s.care_type, s.status, s.latitude,"
    " s.longitude, s.eservices, r.total"
)


def _ranked_in_sql(query: UnitQuery, words: Sequence[Word], limit: int) -> tuple[list[Hit], int]:
    """PostgreSQL: match, filter, order (by rank, distance or name), count and page in one statement.
    The matches are ordered and counted by their key alone (the inner SELECT), and only the page's
    rows are then read whole: sorting and counting ~700 whole rows of a broad word cost a third more."""
    where, params = _filters_sql(query, timezone.localdate())
    if words:
        matching, matching_params = _conditions(words, "s")
        where, params = f"{matching} AND {where}", [*matching_params, *params]
    key, key_params, order = "NULL", list[Any](), "s.name, s.unit_id"
    if query.sort == DISTANCE and query.origin is not None:
        key, key_params = _distance_sql(query.origin)
        order = "{key} ASC NULLS LAST, s.name, s.unit_id"
    elif words:
        key, key_params = score_sql(words)
        order = "{key} DESC, char_length(s.name), s.name, s.unit_id"
    sql = (
        f"SELECT {_COLUMNS} FROM ("  # noqa: S608 - fixed fragments; values are parameters
        f"SELECT s.unit_id, {key} AS sort_key, COUNT(*) OVER () AS total FROM directory_unit_search s"
        f" WHERE {where} ORDER BY {order.format(key='sort_key')} LIMIT %s"
        f") r JOIN directory_unit_search s ON s.unit_id = r.unit_id ORDER BY {order.format(key='r.sort_key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_params, *params, limit])
        rows = cursor.fetchall()
    origin = query.origin
    hits = [
        Hit(
            pk,
            hsa_id,
            name,
            city,
            municipality_code,
            care_type,
            usable_eservices(status, ((code, True) for code in eservices)),
            None if origin is None else distance_km(origin, latitude, longitude),
        )
        for (
            pk,
            hsa_id,
            name,
            city,
            municipality_code,
            care_type,
            status,
            latitude,
            longitude,
            eservices,
            _,
        ) in rows
    ]
    return hits, rows[0][-1] if rows else 0


def _matching_sql(words: Sequence[Word]) -> RawSQL:
    """SQLite: the ids of units whose name or city has every word (one of its alternatives)."""
    substrings, whole = [], []
    for alternatives in words:
        stems = [swedish.stem(word) for word in alternatives]
        if all(len(stem) >= 3 for stem in stems):
            substrings.append("(" + " OR ".join(f'"{stem}"' for stem in stems) + ")")
        else:
            whole.append(" OR ".join(f'"{word}"' for word in alternatives))
    parts, params = [], []
    if substrings:
        parts.append("SELECT unit_id FROM directory_unit_fts WHERE directory_unit_fts MATCH %s")
        params.append(" AND ".join(substrings))
    if whole:
        parts.append("SELECT unit_id FROM directory_unit_words WHERE directory_unit_words MATCH %s")
        params.append(" AND ".join(f"({w})" for w in whole))
    return RawSQL(" INTERSECT ".join(parts), params)  # noqa: S611 - fixed fragments; values are parameters


def _score(name: str, words: Sequence[Word]) -> int:
    """The relevance of a unit called ``name`` that matches ``words`` (see the module's text)."""
    lower = name.lower()
    name_stems = {swedish.stem(w) for w in swedish.words(name) if w not in swedish.STOP_WORDS}
    total = 0
    for alternatives in words:
        best = 0
        for word in alternatives:
            stem = swedish.stem(word)
            if stem in name_stems:
                best = max(best, 8)
            elif f" {stem}" in f" {lower}":
                best = max(best, 4)
            elif stem in lower:
                best = max(best, 2)
            else:
                best = max(best, 1)
        total += best
    return total


def _ranked_here(query: UnitQuery, words: Sequence[Word], limit: int) -> tuple[list[Hit], int]:
    """SQLite: FTS5 finds the matches (``_matching_sql``); they are ranked here, by the rules
    PostgreSQL runs in SQL, unless they are ordered by distance or name."""
    units = _filtered(query)
    if words:
        units = units.filter(pk__in=_matching_sql(words))
        if query.sort != DISTANCE:
            matches = list(units.values_list("pk", "name"))
            matches.sort(key=lambda row: (-_score(row[1], words), len(row[1]), row[1], row[0].hex))
            ids = [pk for pk, _ in matches[:limit]]
            by_id = Unit.objects.prefetch_related("eservices").in_bulk(ids)
            return [_hit(by_id[pk], query) for pk in ids], len(matches)
    ordered = units.prefetch_related("eservices")
    order: list[Any] = ["name", "pk"]
    if query.sort == DISTANCE and query.origin is not None:
        ordered = ordered.annotate(distance=_distance_expression(query.origin))
        order = [F("distance").asc(nulls_last=True), *order]
    page = list(ordered.order_by(*order)[:limit])
    total = len(page) if len(page) < limit else units.count()
    return [_hit(unit, query) for unit in page], total


def _typo_alternatives(words: Sequence[Word]) -> list[Word]:
    """Each word that occurs in no unit's name or city, replaced by the words of the index that
    resemble it most (the highest similarity of the folded forms, at least ``TYPO_SIMILARITY``; if
    several are as like it, up to ``TYPO_ALTERNATIVES`` of them, alphabetically); a word with no such
    neighbour stays as it is."""
    lookup = _neighbours_in_sql if connection.vendor == "postgresql" else _neighbours_here
    replaced: list[Word] = []
    for alternatives, neighbours in zip(words, lookup([word for (word,) in words]), strict=True):
        best = [term for score, term in neighbours if score == neighbours[0][0]]
        replaced.append(tuple(best) or alternatives)
    return replaced


# One row per typo candidate: the folded forms of the vocabulary as directory_search_term_folded_trgm
# indexes them.
_FOLDED_TERM = f"translate(term, '{swedish.FOLD_FROM}', '{swedish.FOLD_TO}')"


def _neighbours_in_sql(words: list[str]) -> list[list[tuple[float, str]]]:
    """PostgreSQL, in one statement: per word, nothing if it occurs in the index, else the
    ``TYPO_ALTERNATIVES`` words of the vocabulary most like it, (similarity, word), best first."""
    columns: list[str] = []
    params: list[Any] = []
    for word in words:
        condition, condition_params = _conditions([(word,)], "s")
        columns.append(
            f"CASE WHEN EXISTS (SELECT FROM directory_unit_search s WHERE {condition}) THEN NULL ELSE ARRAY("  # noqa: S608
            "SELECT ARRAY[t.score::text, t.term] FROM ("
            f"SELECT similarity({_FOLDED_TERM}, %s) AS score, term FROM directory_search_term"
            f" WHERE {_FOLDED_TERM} %% %s AND similarity({_FOLDED_TERM}, %s) >= %s"
            " ORDER BY score DESC, term LIMIT %s) t ORDER BY t.score DESC, t.term) END"
        )
        folded = swedish.fold(word)
        params += [*condition_params, folded, folded, folded, TYPO_SIMILARITY, TYPO_ALTERNATIVES]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        row = cursor.fetchone() or ()
    return [[(float(score), term) for score, term in found or ()] for found in row]


def _neighbours_here(words: list[str]) -> list[list[tuple[float, str]]]:
    """SQLite: ``_neighbours_in_sql``, the similarity computed here (``swedish.similarity``)."""
    found: list[list[tuple[float, str]]] = []
    terms: list[str] | None = None
    for word in words:
        matching = _matching_sql([(word,)])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS ({matching.sql})", matching.params)
            row = cursor.fetchone()
            if row and row[0]:
                found.append([])
                continue
            if terms is None:
                cursor.execute("SELECT term FROM directory_unit_terms WHERE length(term) >= 3")
                terms = [term for (term,) in cursor.fetchall()]
        folded = swedish.fold(word)
        scored = [(swedish.similarity(swedish.fold(term), folded), term) for term in terms]
        best = sorted((s for s in scored if s[0] >= TYPO_SIMILARITY), key=lambda s: (-s[0], s[1]))
        found.append(best[:TYPO_ALTERNATIVES])
    return found
