"""Swedish words for the unit search: tokens, stop words, the Snowball stemmer, trigram similarity.

The same rules PostgreSQL applies with its ``swedish`` text-search configuration (the Snowball
stemmer and stop-word list it ships) and with pg_trgm's ``similarity``, in Python, so that the SQLite
fallback gives the same results; ``tests/test_search_swedish.py`` compares them with PostgreSQL. The
stemmer is the snowballstemmer package at the Snowball version PostgreSQL 15 ships (2.2).
"""

from __future__ import annotations

import functools
import re
import threading

import snowballstemmer  # type: ignore[import-untyped]  # ships no types

# PostgreSQL's tsearch_data/swedish.stop (Snowball's list).
STOP_WORDS = frozenset(
    [
        "och",
        "det",
        "att",
        "i",
        "en",
        "jag",
        "hon",
        "som",
        "han",
        "på",
        "den",
        "med",
        "var",
        "sig",
        "för",
        "så",
        "till",
        "är",
        "men",
        "ett",
        "om",
        "hade",
        "de",
        "av",
        "icke",
        "mig",
        "du",
        "henne",
        "då",
        "sin",
        "nu",
        "har",
        "inte",
        "hans",
        "honom",
        "skulle",
        "hennes",
        "där",
        "min",
        "man",
        "ej",
        "vid",
        "kunde",
        "något",
        "från",
        "ut",
        "när",
        "efter",
        "upp",
        "vi",
        "dem",
        "vara",
        "vad",
        "över",
        "än",
        "dig",
        "kan",
        "sina",
        "här",
        "ha",
        "mot",
        "alla",
        "under",
        "någon",
        "eller",
        "allt",
        "mycket",
        "sedan",
        "ju",
        "denna",
        "själv",
        "detta",
        "åt",
        "utan",
        "varit",
        "hur",
        "ingen",
        "mitt",
        "ni",
        "bli",
        "blev",
        "oss",
        "din",
        "dessa",
        "några",
        "deras",
        "blir",
        "mina",
        "samma",
        "vilken",
        "er",
        "sådan",
        "vår",
        "blivit",
        "dess",
        "inom",
        "mellan",
        "sådant",
        "varför",
        "varje",
        "vilka",
        "ditt",
        "vem",
        "vilket",
        "sitta",
        "sådana",
        "vart",
        "dina",
        "vars",
        "vårt",
        "våra",
        "ert",
        "era",
        "vilkas",
    ]
)

_WORD = re.compile(r"[^\W_]+")
# A Snowball stemmer object keeps its word in itself while it works: one per thread (gunicorn's
# gthread workers search in several threads at once).
_STEMMERS = threading.local()
# Fold å, ä, ö (and a few loan-word accents) only where a typo is being forgiven, never to match.
# search_index.py folds the same way in SQL (translate(term, FOLD_FROM, FOLD_TO)).
FOLD_FROM, FOLD_TO = "åäöéèü", "aaoeeu"
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased: runs of letters and digits (å, ä, ö are letters)."""
    return _WORD.findall(text.lower())


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball Swedish stem of one lower-case word (as PostgreSQL's ``swedish_stem``)."""
    stemmer = getattr(_STEMMERS, "stemmer", None)
    if stemmer is None:
        stemmer = _STEMMERS.stemmer = snowballstemmer.stemmer("swedish")
    return str(stemmer.stemWord(word))


def fold(word: str) -> str:
    return word.translate(_FOLD)


def trigrams(word: str) -> frozenset[str]:
    """pg_trgm's trigrams of one word: padded with two blanks in front and one behind."""
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity`` of two words: shared trigrams over all trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    shared = len(ta & tb)
    return shared / (len(ta) + len(tb) - shared) if ta or tb else 0.0
