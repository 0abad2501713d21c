"""The Swedish word rules of the search (directory/swedish.py), and on PostgreSQL, that they are
PostgreSQL's own: the ``swedish`` Snowball stemmer, pg_trgm's similarity, and the ranking in SQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import snowballstemmer  # type: ignore[import-untyped]
from django.db import connection

from vardkontakt.conftest import Demo
from vardkontakt.directory import swedish
from vardkontakt.directory.models import Unit
from vardkontakt.directory.search import _score, score_sql

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL")

WORDS = [
    "vårdcentral",
    "vårdcentralen",
    "vårdcentraler",
    "vårdcentralerna",
    "mottagning",
    "mottagningen",
    "mottagningar",
    "mottagningarna",
    "vaccination",
    "vaccinationer",
    "vaccinationsmottagning",
    "solna",
    "täby",
    "danderyds",
    "sjukhus",
    "sjukhuset",
    "barnavårdscentralen",
    "reumatologmottagningen",
    "kvinnokliniken",
    "kvinnor",
    "kvinna",
    "läkare",
    "läkarna",
    "tandvård",
    "folktandvården",
    "ortopedmottagningen",
    "mammografi",
    "tolkcentralen",
    "patientnämnden",
    "södermalm",
    "lidingö",
    "österåker",
    "värmdö",
    "järfälla",
    "ekerö",
    "nynäshamn",
    "väsby",
    "barnmorskemottagning",
    "hudmottagning",
    "ögonmottagning",
    "psykiatriska",
    "fysioterapi",
    "husläkarmottagning",
    "hälsocentral",
    "ungdomsmottagning",
    "akutmottagning",
    "hjärtmottagningen",
    "fullt",
    "löst",
    "lycklig",
    "vänlig",
    "roligt",
    "hemmet",
    "bättre",
    "skärholmen",
    "älvsjö",
    "hässelby",
    "vällingby",
    "handen",
    "åkersberga",
    "märsta",
    "kallhäll",
    "gustavsberg",
    "bb",
    "vc",
    "stadsdelarnas",
    "läkarhusets",
]


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("vårdcentralen", "vårdcentral"),
        ("vårdcentralerna", "vårdcentral"),
        ("mottagningarna", "mottagning"),
        ("danderyds", "danderyd"),  # s after d: removed
        ("solna", "soln"),
        ("kvinnor", "kvinn"),  # -or; "nn" stays, it begins before R1
        ("läkarna", "läk"),
        ("lycklig", "lyck"),
        ("fullt", "fullt"),  # "fullt" → "full" only inside R1
        ("vänligt", "vän"),
        ("bb", "bb"),
    ],
)
def test_stems(word: str, stem: str) -> None:
    assert swedish.stem(word) == stem


def test_threads_stemming_at_once_get_the_stems_one_thread_gets() -> None:
    # The web server searches in several threads at once; a stemmer shared between them mixed up
    # their words (IndexError, wrong stems). Stems of words not seen before, so the cache is no help.
    words = [f"{word}{suffix}{n}" for n in range(40) for word in WORDS for suffix in ("arna", "en", "s")]
    swedish.stem.cache_clear()
    expected = {word: snowballstemmer.stemmer("swedish").stemWord(word) for word in words}
    swedish.stem.cache_clear()
    barrier = threading.Barrier(8)

    def stem_all(order: list[str]) -> dict[str, str]:
        barrier.wait()
        return {word: swedish.stem(word) for word in order}

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(stem_all, [words if i % 2 else words[::-1] for i in range(8)]))
    assert all(result == expected for result in results)


def test_words_are_lower_cased_and_keep_a_o_with_rings_and_dots() -> None:
    assert swedish.words("Vårdcentral ÖSTERÅKER, Täby-Kyrkby 2") == [
        "vårdcentral",
        "österåker",
        "täby",
        "kyrkby",
        "2",
    ]


def test_similarity_is_shared_trigrams_over_all() -> None:
    assert swedish.trigrams("täby") == {"  t", " tä", "täb", "äby", "by "}
    assert swedish.similarity("vårdcental", "vårdcentral") == pytest.approx(9 / 14)
    assert swedish.similarity("taby", "täby") == pytest.approx(2 / 8)  # not similar, unless folded
    assert swedish.similarity(swedish.fold("taby"), swedish.fold("täby")) == 1.0


@postgresql_only
def test_the_stemmer_is_postgresqls_swedish_stemmer(db: None) -> None:
    suffixes = [
        "",
        "a",
        "arna",
        "erna",
        "en",
        "ens",
        "ar",
        "er",
        "or",
        "s",
        "et",
        "het",
        "ast",
        "lig",
        "els",
        "ande",
    ]
    words = sorted({word + suffix for word in WORDS for suffix in suffixes})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ts_lexize('swedish_stem', word) FROM unnest(%s::text[]) AS word", [words]
        )
        theirs = dict(cursor.fetchall())
    ours = {word: [] if word in swedish.STOP_WORDS else [swedish.stem(word)] for word in words}
    assert ours == theirs


@postgresql_only
def test_the_stop_words_are_postgresqls(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM unnest(%s::text[]) AS word WHERE to_tsvector('swedish', word) = ''",
            [list(swedish.STOP_WORDS)],
        )
        assert {word for (word,) in cursor.fetchall()} == swedish.STOP_WORDS


@postgresql_only
def test_similarity_is_pg_trgms(db: None) -> None:
    pairs = [(a, b) for a in WORDS[:40] for b in ("vårdcental", "mottagnig", "solan", "taby", "södermalm")]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT similarity(a, b) FROM unnest(%s::text[], %s::text[]) AS p(a, b)",
            [[a for a, _ in pairs], [b for _, b in pairs]],
        )
        theirs = [row[0] for row in cursor.fetchall()]
    assert [swedish.similarity(a, b) for a, b in pairs] == pytest.approx(theirs, abs=1e-6)


@postgresql_only
@pytest.mark.parametrize(
    "text", ["solna", "vårdcentral solna", "mottagning", "vård", "stockholm", "sankt eriks", "täby"]
)
def test_the_ranking_in_sql_is_the_ranking_in_python(demo: Demo, text: str) -> None:
    """SQLite ranks in Python (``_score``); PostgreSQL in SQL (``score_sql``): the same numbers."""
    words = [(word,) for word in swedish.words(text) if word not in swedish.STOP_WORDS]
    score, params = score_sql(words)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.name, {score} FROM directory_unit_search s",  # noqa: S608
            params,
        )
        in_sql = dict(cursor.fetchall())
    assert len(in_sql) == Unit.objects.count() > 1
    assert in_sql == {name: _score(name, words) for name in in_sql}
