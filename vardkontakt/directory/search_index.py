"""The search index of "Hitta vård": tables beside ``directory_unit`` that the database itself keeps in
step with it (triggers), so every way of writing a unit (the ORM, ``bulk_create``, ``update()``, the
catalogue import, COPY) updates it in the same transaction.

PostgreSQL (extension pg_trgm):
- ``directory_unit_search``: per unit, ``document`` = the ``swedish`` tsvector of the name (weight A)
  and the city (weight B), GIN-indexed; ``terms`` = the words of 3+ letters of lower(name || ' ' ||
  city) (``directory_unit_terms``), GIN-indexed: a stem is found inside words (compound words by
  their parts) by looking it up in the vocabulary (below) and then the units that have one of the
  words found; ``lower_name`` = ' ' || lower(name), for the rank. The GIN indexes have no pending
  list (``fastupdate = off``, below). Beside them, a copy of what the search filters, ranks and
  shows: the unit's public fields, ``eservices`` (the codes of its active e-service rows) and
  ``agreements`` (the days its agreements hold, a ``datemultirange``), so a search reads this one
  table and no other row per match. Triggers on ``directory_agreement`` and
  ``directory_uniteservice`` keep the last two in step.
- ``directory_search_term``: the vocabulary, every word of ``terms`` of every unit, trigram-GIN-indexed
  as it is (for substrings of words) and in its folded form (the typo fallback corrects against it).
  It only grows (a word of a renamed unit stays: it is in no unit's ``terms``, and a typo corrected
  to it finds nothing, which is harmless); TRUNCATE empties it.

SQLite (FTS5):
- ``directory_unit_fts``: unit id, name and city under the trigram tokenizer (case-folded, å, ä, ö
  kept): substring matching served by the index.
- ``directory_unit_words`` (unicode61 tokenizer, diacritics kept) and its ``fts5vocab`` view
  ``directory_unit_terms``: exact words, and the vocabulary of the typo fallback.

On SQLite a later migration that rebuilds ``directory_unit`` (SQLite alters tables by copying them)
drops its triggers; ``install_sqlite`` runs again after every ``migrate`` (apps.py) and rebuilds.
"""

from __future__ import annotations

import sqlite3

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from vardkontakt.directory.swedish import FOLD_FROM, FOLD_TO  # as swedish.fold

SQLITE_TRIGRAM = (3, 34, 0)  # the first SQLite with FTS5's trigram tokenizer

# GIN indexes without a pending list: with fastupdate (PostgreSQL's default) new entries wait in an
# unsorted list that every search reads through until a VACUUM merges it; after a bulk load of 15,000
# units that doubled the cost of a search (bench/search.py). Units change seldom; writing each entry
# into the index at once costs little.
_GIN = "WITH (fastupdate = off)"
GIN_INDEXES = (
    "directory_unit_search_document",
    "directory_unit_search_terms",
    "directory_search_term_trgm",
    "directory_search_term_folded_trgm",
)
# The tables whose rows the unit's copy in directory_unit_search reads (its e-services, its agreements).
RELATED_TABLES = ("directory_agreement", "directory_uniteservice")
# The unit's columns that directory_unit_search copies, with their type there: one list for the table,
# the trigger's INSERT and UPDATE, and the columns whose change fires it.
COPIED = {
    "hsa_id": "text NOT NULL DEFAULT ''",
    "name": "text NOT NULL DEFAULT ''",
    "city": "text NOT NULL DEFAULT ''",
    "municipality_code": "text NOT NULL DEFAULT ''",
    "care_type": "text NOT NULL DEFAULT ''",
    "status": "text NOT NULL DEFAULT ''",
    "latitude": "float8",
    "longitude": "float8",
}
# Beside them, what the search computes from the unit's row and what the related tables give: (type,
# value in the unit's trigger).
_DERIVED = {
    "document": (
        "tsvector NOT NULL DEFAULT ''",
        "setweight(to_tsvector('swedish', NEW.name), 'A') || setweight(to_tsvector('swedish', NEW.city), 'B')",
    ),
    "terms": ("text[] NOT NULL DEFAULT '{}'", "directory_unit_terms(NEW.name, NEW.city)"),
    "lower_name": ("text NOT NULL DEFAULT ''", "' ' || lower(NEW.name)"),
    "eservices": ("text[] NOT NULL DEFAULT '{}'", "directory_unit_eservices(NEW.id)"),
    "agreements": ("datemultirange NOT NULL DEFAULT '{}'", "directory_unit_agreements(NEW.id)"),
}
_ALL = [*COPIED, *_DERIVED]
_ADDED = {**COPIED, **{column: kind for column, (kind, _) in _DERIVED.items()}}
_VALUES = [*(f"NEW.{column}" for column in COPIED), *(value for _, value in _DERIVED.values())]

POSTGRESQL = [
    "CREATE TABLE IF NOT EXISTS directory_unit_search (unit_id uuid PRIMARY KEY)",
    # The columns (added to an index an earlier version installed, whose trigram-indexed text of the
    # name and city ``terms`` replaces; filled below).
    "ALTER TABLE directory_unit_search DROP COLUMN IF EXISTS words, "
    + ", ".join(f"ADD COLUMN IF NOT EXISTS {column} {kind}" for column, kind in _ADDED.items()),
    f"""CREATE INDEX IF NOT EXISTS directory_unit_search_document
       ON directory_unit_search USING gin (document) {_GIN}""",
    f"""CREATE INDEX IF NOT EXISTS directory_unit_search_terms
       ON directory_unit_search USING gin (terms) {_GIN}""",
    "CREATE TABLE IF NOT EXISTS directory_search_term (term text PRIMARY KEY)",
    f"""CREATE INDEX IF NOT EXISTS directory_search_term_trgm
       ON directory_search_term USING gin (term gin_trgm_ops) {_GIN}""",
    f"""CREATE INDEX IF NOT EXISTS directory_search_term_folded_trgm
       ON directory_search_term USING gin (translate(term, '{FOLD_FROM}', '{FOLD_TO}') gin_trgm_ops) {_GIN}""",
    # An index of an earlier install: the same setting, and what waits in its pending list merged.
    *(f"ALTER INDEX {index} SET (fastupdate = off)" for index in GIN_INDEXES),
    *(f"SELECT gin_clean_pending_list('{index}')" for index in GIN_INDEXES),
    # The words of a unit's name and city that a stem is looked for in (stems are letters and digits:
    # one is inside a word of these or of none), distinct and in order.
    """
    CREATE OR REPLACE FUNCTION directory_unit_terms(unit_name text, unit_city text) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(array_agg(DISTINCT word ORDER BY word), '{}')
        FROM regexp_split_to_table(lower(unit_name || ' ' || unit_city), '[^[:alnum:]]+') AS word
        WHERE char_length(word) >= 3
    $$
    """,
    # A unit's active e-services and the days its agreements hold (valid_to is the last day; none: open).
    """
    CREATE OR REPLACE FUNCTION directory_unit_eservices(unit uuid) RETURNS text[] LANGUAGE sql STABLE AS $$
        SELECT coalesce(array_agg(service ORDER BY service), '{}')
        FROM directory_uniteservice WHERE unit_id = unit AND active
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION directory_unit_agreements(unit uuid) RETURNS datemultirange LANGUAGE sql STABLE AS $$
        SELECT coalesce(range_agg(daterange(valid_from, valid_to, '[]')), '{}')
        FROM directory_agreement WHERE unit_id = unit
    $$
    """,
    f"""
    -- Column names from COPIED and _DERIVED only; no value is formatted in.
    CREATE OR REPLACE FUNCTION directory_unit_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM directory_unit_search WHERE unit_id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO directory_unit_search (unit_id, {", ".join(_ALL)})
        VALUES (NEW.id, {", ".join(_VALUES)})
        ON CONFLICT (unit_id) DO UPDATE SET {", ".join(f"{column} = EXCLUDED.{column}" for column in _ALL)};
        INSERT INTO directory_search_term (term)
        SELECT unnest(directory_unit_terms(NEW.name, NEW.city))
        ON CONFLICT DO NOTHING;
        RETURN NEW;
    END
    $$
    """,  # noqa: S608
    """
    CREATE OR REPLACE FUNCTION directory_unit_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE directory_unit_search, directory_search_term;
        RETURN NULL;
    END
    $$
    """,
    # An agreement or e-service row written: its unit's copy again (both units', if it moved).
    """
    CREATE OR REPLACE FUNCTION directory_unit_search_refresh(unit uuid) RETURNS void LANGUAGE sql AS $$
        UPDATE directory_unit_search
        SET eservices = directory_unit_eservices(unit), agreements = directory_unit_agreements(unit)
        WHERE unit_id = unit
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION directory_unit_search_related() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            PERFORM directory_unit_search_refresh(unit_id) FROM directory_unit_search;
        ELSIF TG_OP = 'INSERT' THEN
            PERFORM directory_unit_search_refresh(NEW.unit_id);
        ELSE
            PERFORM directory_unit_search_refresh(OLD.unit_id);
            IF TG_OP = 'UPDATE' THEN
                IF NEW.unit_id <> OLD.unit_id THEN
                    PERFORM directory_unit_search_refresh(NEW.unit_id);
                END IF;
            END IF;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS directory_unit_search_sync ON directory_unit",
    f"""CREATE TRIGGER directory_unit_search_sync AFTER INSERT OR DELETE OR UPDATE OF {", ".join(COPIED)}
       ON directory_unit FOR EACH ROW EXECUTE FUNCTION directory_unit_search_sync()""",
    "DROP TRIGGER IF EXISTS directory_unit_search_truncate ON directory_unit",
    """CREATE TRIGGER directory_unit_search_truncate AFTER TRUNCATE ON directory_unit
       FOR EACH STATEMENT EXECUTE FUNCTION directory_unit_search_truncate()""",
    *(
        statement
        for table in RELATED_TABLES
        for statement in (
            f"DROP TRIGGER IF EXISTS directory_unit_search_related ON {table}",
            f"""CREATE TRIGGER directory_unit_search_related AFTER INSERT OR DELETE OR UPDATE
               ON {table} FOR EACH ROW EXECUTE FUNCTION directory_unit_search_related()""",
            f"DROP TRIGGER IF EXISTS directory_unit_search_related_truncate ON {table}",
            f"""CREATE TRIGGER directory_unit_search_related_truncate AFTER TRUNCATE
               ON {table} FOR EACH STATEMENT EXECUTE FUNCTION directory_unit_search_related()""",
        )
    ),
    # Index the units that exist (a no-op for a unit whose row is up to date).
    "UPDATE directory_unit SET name = name",
]

POSTGRESQL_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS {trigger} ON {table}"
        for table in RELATED_TABLES
        for trigger in ("directory_unit_search_related", "directory_unit_search_related_truncate")
    ),
    "DROP TRIGGER IF EXISTS directory_unit_search_truncate ON directory_unit",
    "DROP TRIGGER IF EXISTS directory_unit_search_sync ON directory_unit",
    "DROP FUNCTION IF EXISTS directory_unit_search_related()",
    "DROP FUNCTION IF EXISTS directory_unit_search_refresh(uuid)",
    "DROP FUNCTION IF EXISTS directory_unit_search_truncate()",
    "DROP FUNCTION IF EXISTS directory_unit_search_sync()",
    "DROP FUNCTION IF EXISTS directory_unit_agreements(uuid)",
    "DROP FUNCTION IF EXISTS directory_unit_eservices(uuid)",
    "DROP FUNCTION IF EXISTS directory_unit_terms(text, text)",
    "DROP TABLE IF EXISTS directory_search_term",
    "DROP TABLE IF EXISTS directory_unit_search",
]

_SQLITE_INSERT = """
        INSERT INTO directory_unit_fts (unit_id, name, city) VALUES (NEW.id, NEW.name, NEW.city);
        INSERT INTO directory_unit_words (unit_id, words) VALUES (NEW.id, NEW.name || ' ' || NEW.city);
"""
_SQLITE_DELETE = """
        DELETE FROM directory_unit_fts WHERE unit_id = OLD.id;
        DELETE FROM directory_unit_words WHERE unit_id = OLD.id;
"""

SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS directory_unit_fts
       USING fts5(unit_id UNINDEXED, name, city, tokenize = 'trigram')""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS directory_unit_words
       USING fts5(unit_id UNINDEXED, words, tokenize = 'unicode61 remove_diacritics 0')""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS directory_unit_terms USING fts5vocab(directory_unit_words, 'row')",
    f"""CREATE TRIGGER IF NOT EXISTS directory_unit_fts_insert AFTER INSERT ON directory_unit BEGIN
        {_SQLITE_INSERT}
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS directory_unit_fts_update AFTER UPDATE OF name, city ON directory_unit BEGIN
        {_SQLITE_DELETE}
        {_SQLITE_INSERT}
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS directory_unit_fts_delete AFTER DELETE ON directory_unit BEGIN
        {_SQLITE_DELETE}
    END""",
    # Rebuild from the units (also after a migration that rebuilt directory_unit without triggers).
    "DELETE FROM directory_unit_fts",
    "DELETE FROM directory_unit_words",
    "INSERT INTO directory_unit_fts (unit_id, name, city) SELECT id, name, city FROM directory_unit",
    "INSERT INTO directory_unit_words (unit_id, words) SELECT id, name || ' ' || city FROM directory_unit",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_unit_fts_insert",
    "DROP TRIGGER IF EXISTS directory_unit_fts_update",
    "DROP TRIGGER IF EXISTS directory_unit_fts_delete",
    "DROP TABLE IF EXISTS directory_unit_terms",
    "DROP TABLE IF EXISTS directory_unit_words",
    "DROP TABLE IF EXISTS directory_unit_fts",
]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or repair) the index and its triggers, and index the existing units. Idempotent."""
    if connection.vendor == "postgresql":
        _run(connection, POSTGRESQL)
    elif connection.vendor == "sqlite":
        if sqlite3.sqlite_version_info < SQLITE_TRIGRAM:
            raise ImproperlyConfigured(
                f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer: Vårdkontakt needs 3.34 or later."
            )
        _run(connection, SQLITE)
    else:
        raise NotImplementedError(f"no unit search index for {connection.vendor}")


def install_on_postgresql(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """A migration's step that brings an index an earlier version installed up to this one
    (PostgreSQL; SQLite's is rebuilt after every migrate anyway)."""
    if schema_editor.connection.vendor == "postgresql":
        install(schema_editor.connection)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "postgresql":
        _run(connection, POSTGRESQL_REVERSE)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_REVERSE)


def install_sqlite_after_migrate(using: str, **kwargs: object) -> None:
    """post_migrate: on SQLite, put back triggers a table rebuild dropped, and re-index."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and "directory_unit" in connection.introspection.table_names():
        install(connection)
