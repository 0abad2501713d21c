"""Relevance of "Hitta vård", the same on SQLite (FTS5) and PostgreSQL (tsvector + pg_trgm): CI runs
this file on both. Swedish stems, compound words by their parts, typos, å, ä and ö."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from vardkontakt.conftest import Demo
from vardkontakt.directory import search_index, swedish
from vardkontakt.directory.models import Agreement, CareType, EService, Unit, UnitEService, UnitStatus
from vardkontakt.directory.search import SearchResult, UnitQuery, public_units, search_units

AGREEMENT_FROM = "2026-01-01"


def search(text: str, municipality: str = "", care_type: str = "", eservice: str = "") -> SearchResult:
    return search_units(
        UnitQuery(text=text, municipality=municipality, care_type=care_type, eservice=eservice)
    )


def names(text: str, municipality: str = "", care_type: str = "", eservice: str = "") -> list[str]:
    return [hit.name for hit in search(text, municipality, care_type, eservice).hits]


def add_unit(demo: Demo, name: str, city: str, municipality: str = "0180", **fields: object) -> Unit:
    solna = demo.unit("solna")
    number = Unit.objects.count() + 8000
    unit = Unit.objects.create(
        hsa_id=f"SE2321000016-{number}",
        name=name,
        city=city,
        provider=solna.provider,
        region=solna.region,
        municipality_code=municipality,
        **fields,
    )
    Agreement.objects.create(unit=unit, valid_from=AGREEMENT_FROM, reference=f"RS {number}")
    return unit


# Compound words match by their parts; the stemmer alone would not split them.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vaccination", "Vaccinationsmottagning Solna"),  # the first part
        ("mottagning solna vaccination", "Vaccinationsmottagning Solna"),
        ("reumatolog", "Reumatologmottagningen Solna"),
        ("tandvård", "Folktandvården Sankt Eriksplan"),  # a part in the middle, inflected
        ("barnavård", "Barnavårdscentralen Täby"),
        ("ortoped danderyd", "Ortopedmottagningen Danderyds sjukhus"),
    ],
)
def test_compound_words_match_by_their_parts(demo: Demo, text: str, expected: str) -> None:
    assert expected in names(text)


def test_a_later_part_of_a_compound_matches_too(demo: Demo) -> None:
    assert set(names("mottagning")) == {
        "Ortopedmottagningen Danderyds sjukhus",
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
    }


# Stemming: inflected forms find each other.


@pytest.mark.parametrize(
    "text",
    ["vårdcentral solna", "vårdcentralen solna", "vårdcentraler i solna", "Vårdcentralerna SOLNA"],
)
def test_inflected_forms_find_the_same_unit(demo: Demo, text: str) -> None:
    result = search(text)
    assert result.corrected == ""  # found by stemming, not by the typo fallback
    assert result.hits[0].name == "Vårdcentral Solna"


def test_stop_words_are_left_out(demo: Demo) -> None:
    assert names("mottagningar för reumatologi i solna") == ["Reumatologmottagningen Solna"]


# Typos: the fallback corrects words that occur nowhere.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vårdcental solna", "Vårdcentral Solna"),
        ("vårdcentrl solna", "Vårdcentral Solna"),
        ("reumatolgmottagningen", "Reumatologmottagningen Solna"),
        ("mamografi", "Mammografi City"),
        ("patientnämden", "Patientnämnden Region Stockholm"),
    ],
)
def test_a_typo_still_finds_the_unit_in_the_first_ten(demo: Demo, text: str, expected: str) -> None:
    result = search(text)
    assert expected in [hit.name for hit in result.hits[:10]]
    assert result.corrected  # and says that it corrected the words


def test_the_typo_fallback_names_the_words_it_searched(demo: Demo) -> None:
    result = search("vårdcental solna")
    assert result.corrected == "vårdcentral solna"
    assert result.hits[0].name == "Vårdcentral Solna"


def test_nonsense_finds_nothing(demo: Demo) -> None:
    result = search("xqzvbnm")
    assert result.total == 0
    assert result.hits == []


# å, ä and ö are letters of their own.


def test_a_o_and_a_with_dots_are_kept(demo: Demo) -> None:
    add_unit(demo, "Hälsocentral Halsa", "Stockholm")
    add_unit(demo, "Mottagning Hälsa", "Stockholm")

    assert names("hälsa") == ["Mottagning Hälsa", "Hälsocentral Halsa"]  # the whole word first
    assert names("halsa") == ["Hälsocentral Halsa"]  # no folding: "halsa" is another word
    assert names("Södermalm") == ["Vårdcentral Södermalm"]
    assert names("TÄBY") == ["Barnavårdscentralen Täby"]


def test_a_word_typed_without_dots_is_found_through_the_typo_fallback(demo: Demo) -> None:
    result = search("taby")
    assert [hit.name for hit in result.hits] == ["Barnavårdscentralen Täby"]
    assert result.corrected == "täby"


# Ranking.


def test_a_whole_word_in_the_name_ranks_above_a_part_of_one_and_above_the_city(demo: Demo) -> None:
    add_unit(demo, "Solnamottagningen", "Sundbyberg", "0183")
    add_unit(demo, "Husläkarna", "Solna", "0184")

    ranked = names("solna")

    assert ranked[:3] == [  # "Solna" as a word of the name; shorter names first
        "Vårdcentral Solna",
        "Reumatologmottagningen Solna",
        "Vaccinationsmottagning Solna",
    ]
    assert ranked[3:] == ["Solnamottagningen", "Husläkarna"]  # a part of the name, then the city only


def test_every_word_counts_towards_the_rank(demo: Demo) -> None:
    add_unit(demo, "Vårdcentral Stockholm Södermalm", "Stockholm")

    assert names("vårdcentral") == [
        "Vårdcentral Solna",
        "Vårdcentral Södermalm",
        "Vårdcentral Stockholm Södermalm",
    ]
    assert names("södermalm stockholm") == ["Vårdcentral Stockholm Södermalm", "Vårdcentral Södermalm"]


def test_a_short_word_must_be_a_whole_word(demo: Demo) -> None:
    add_unit(demo, "BB Stockholm", "Stockholm")
    add_unit(demo, "Abbevården", "Stockholm")

    assert names("bb") == ["BB Stockholm"]


def test_filters_apply_to_the_text_search(demo: Demo) -> None:
    assert names("solna", care_type=CareType.SPECIALIST) == ["Reumatologmottagningen Solna"]
    assert names("vårdcentral", municipality="0180") == ["Vårdcentral Södermalm"]
    assert names("vårdcentral", eservice="booking") == ["Vårdcentral Solna", "Vårdcentral Södermalm"]


# The index is kept in step with the units by the database, however they are written.


def test_the_index_follows_creates_renames_and_deletes(demo: Demo) -> None:
    unit = add_unit(demo, "Logopedmottagningen Kista", "Kista")
    assert names("logoped") == ["Logopedmottagningen Kista"]

    unit.name = "Dietistmottagningen Kista"
    unit.save()
    assert names("logoped") == []
    assert names("dietist") == ["Dietistmottagningen Kista"]

    Unit.objects.filter(pk=unit.pk).update(city="Akalla")
    assert names("kista akalla") == ["Dietistmottagningen Kista"]

    unit.agreements.all().delete()
    unit.delete()
    assert names("dietist") == []


def test_the_index_follows_bulk_creates(demo: Demo) -> None:
    solna = demo.unit("solna")
    created = Unit.objects.bulk_create(
        Unit(
            hsa_id=f"SE2321000016-81{n:02}",
            name=f"Provmottagning {n:02}",
            provider=solna.provider,
            region=solna.region,
            municipality_code="0180",
        )
        for n in range(3)
    )
    Agreement.objects.bulk_create(
        Agreement(unit=unit, valid_from=AGREEMENT_FROM, reference="RS") for unit in created
    )

    assert names("provmottagning") == ["Provmottagning 00", "Provmottagning 01", "Provmottagning 02"]


def _copies() -> dict[object, tuple[object, ...]]:
    """PostgreSQL: the search table's copy of each unit, as the unit tables would give it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, hsa_id, name, city, municipality_code, care_type, status, latitude,"
            " longitude, eservices, terms, lower_name FROM directory_unit_search"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _terms(*texts: str) -> list[str]:
    """The words a stem is looked for in: of three letters or more, lower-case, distinct, in order."""
    return sorted({word for word in swedish.words(" ".join(texts)) if len(word) >= 3})


def _units() -> dict[object, tuple[object, ...]]:
    return {
        unit.pk: (
            unit.hsa_id,
            unit.name,
            unit.city,
            unit.municipality_code,
            unit.care_type,
            unit.status,
            None if unit.latitude is None else float(unit.latitude),
            None if unit.longitude is None else float(unit.longitude),
            sorted(e.service for e in unit.eservices.all() if e.active),
            _terms(unit.name, unit.city),
            " " + unit.name.lower(),
        )
        for unit in Unit.objects.prefetch_related("eservices")
    }


def _vocabulary() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT term FROM directory_search_term")
        return {term for (term,) in cursor.fetchall()}


def _public_in_copy(on: date) -> set[object]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id FROM directory_unit_search WHERE status <> %s AND agreements @> %s::date",
            [UnitStatus.INACTIVE, on],
        )
        return {pk for (pk,) in cursor.fetchall()}


def assert_the_copy_is_the_units() -> None:
    assert _copies() == _units()
    assert {term for unit in Unit.objects.all() for term in _terms(unit.name, unit.city)} <= _vocabulary()
    for on in DAYS:
        assert _public_in_copy(on) == set(public_units(on).values_list("pk", flat=True)), on


DAYS = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1), date(2099, 1, 1)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's copy of the unit")
def test_the_copy_of_each_unit_follows_the_unit_its_agreements_and_e_services(demo: Demo) -> None:
    solna, nacka, tolk = demo.unit("solna"), demo.unit("nacka"), demo.unit("tolk")
    assert_the_copy_is_the_units()

    # The unit, by save() and by update()
    solna.status, solna.care_type, solna.latitude = UnitStatus.INACTIVE, CareType.DENTAL, Decimal("59.1")
    solna.save()
    Unit.objects.filter(pk=nacka.pk).update(
        municipality_code="0184", hsa_id="SE2321000016-7777", longitude=None
    )
    assert_the_copy_is_the_units()
    Unit.objects.filter(pk=tolk.pk).update(name="Barn- och ungdomsmottagning Åre-Öst", city="Nacka strand")
    assert_the_copy_is_the_units()
    assert names("ungdom åre") == ["Barn- och ungdomsmottagning Åre-Öst"]

    # Agreements: created (in force, ended, not yet), changed, moved to another unit, deleted
    Agreement.objects.create(unit=nacka, valid_from="2026-01-01", valid_to="2026-06-30", reference="RS 1")
    Agreement.objects.bulk_create(
        [
            Agreement(unit=nacka, valid_from="2099-01-01", reference="RS 2"),
            Agreement(unit=nacka, valid_from="2026-07-01", valid_to="2026-07-01", reference="RS 3"),
        ]
    )
    assert_the_copy_is_the_units()
    Agreement.objects.filter(unit=tolk).update(valid_to="2026-06-30")
    assert_the_copy_is_the_units()
    Agreement.objects.filter(reference="RS 1").update(unit=tolk)
    assert_the_copy_is_the_units()
    Agreement.objects.filter(unit=nacka).delete()
    assert_the_copy_is_the_units()

    # E-services: created, switched off, moved, deleted, all at once
    UnitEService.objects.create(unit=nacka, service=EService.MAMMOGRAPHY)
    UnitEService.objects.filter(unit=demo.unit("sodermalm"), service=EService.BOOKING).update(active=False)
    UnitEService.objects.filter(unit=nacka).update(unit=tolk)
    assert_the_copy_is_the_units()
    UnitEService.objects.filter(unit=tolk).delete()
    assert_the_copy_is_the_units()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction has deferred checks
        cursor.execute("TRUNCATE directory_uniteservice")
    assert_the_copy_is_the_units()

    # A unit deleted takes its copy with it
    Agreement.objects.filter(unit=tolk).delete()
    tolk.delete()
    assert tolk.pk not in _copies()
    assert_the_copy_is_the_units()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's copy of the unit")
def test_an_index_without_the_copy_gets_it_filled_by_install(demo: Demo) -> None:
    """What migrations 0005 and 0006 do to an index an earlier version installed (the text of name and
    city, trigram-indexed, and no copy of the unit): columns added and filled, the old one dropped."""
    with connection.cursor() as cursor:
        for table in search_index.RELATED_TABLES:
            cursor.execute(f"DROP TRIGGER directory_unit_search_related ON {table}")
        cursor.execute(
            "ALTER TABLE directory_unit_search DROP COLUMN hsa_id, DROP COLUMN name, DROP COLUMN city,"
            " DROP COLUMN municipality_code, DROP COLUMN care_type, DROP COLUMN status,"
            " DROP COLUMN latitude, DROP COLUMN longitude, DROP COLUMN eservices, DROP COLUMN agreements,"
            " DROP COLUMN terms, DROP COLUMN lower_name, ADD COLUMN words text NOT NULL DEFAULT ''"
        )
        cursor.execute("DROP INDEX directory_search_term_trgm")
        cursor.execute(
            "CREATE INDEX directory_unit_search_words_trgm ON directory_unit_search USING gin (words gin_trgm_ops)"
        )

    search_index.install(connection)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'directory_unit_search'::regclass AND attname = 'words'"
        )
        assert cursor.fetchone() == (0,)
    assert_the_copy_is_the_units()
    UnitEService.objects.filter(unit=demo.unit("solna")).delete()  # the triggers are there again
    assert_the_copy_is_the_units()
    assert names("vårdcentral", eservice="booking") == ["Vårdcentral Södermalm"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN indexes")
def test_the_gin_indexes_have_no_pending_list(db: None) -> None:
    # With fastupdate every search reads through the entries not yet merged into the index.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
            [list(search_index.GIN_INDEXES)],
        )
        options = dict(cursor.fetchall())
    assert options == {index: ["fastupdate=off"] for index in search_index.GIN_INDEXES}


def test_installing_the_index_again_changes_nothing(demo: Demo) -> None:
    before = names("solna")
    search_index.install(connection)
    search_index.install(connection)
    assert names("solna") == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite rebuilds tables to alter them")
def test_after_a_migration_lost_the_triggers_the_index_is_repaired(demo: Demo) -> None:
    with connection.cursor() as cursor:  # what rebuilding directory_unit in a migration does
        for trigger in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER directory_unit_fts_{trigger}")
    add_unit(demo, "Logopedmottagningen Kista", "Kista")
    assert names("logoped") == []

    search_index.install_sqlite_after_migrate(using=connection.alias)  # post_migrate

    assert names("logoped") == ["Logopedmottagningen Kista"]
    Unit.objects.filter(name="Logopedmottagningen Kista").update(name="Dietistmottagningen Kista")
    assert names("dietist") == ["Dietistmottagningen Kista"]  # the triggers are back


def test_without_an_agreement_in_force_or_inactive_a_unit_is_not_found(demo: Demo) -> None:
    assert names("nacka") == []  # Vårdcentral Nacka has no agreement
    Agreement.objects.filter(unit=demo.unit("solna")).update(valid_to="2026-01-31")
    assert "Vårdcentral Solna" not in names("vårdcentral")
    Unit.objects.filter(pk=demo.unit("sodermalm").pk).update(status=UnitStatus.INACTIVE)
    assert "Vårdcentral Södermalm" not in names("vårdcentral")
