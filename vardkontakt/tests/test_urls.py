"""The site's URL patterns: every one is reached by its own paths, whatever their order in urls.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, resolve

# A value for each path converter, to make a path of a pattern.
SAMPLES = {
    "str": "x",
    "slug": "x",
    "path": "x",
    "int": "1",
    "uuid": "00000000-0000-4000-8000-000000000001",
}


def patterns(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(route, view name with its namespaces) of every named pattern under ``resolver``."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield route, namespace + entry.name


def sample_path(route: str) -> str:
    def sample(match: re.Match[str]) -> str:
        return SAMPLES[match.group(1) or "str"]

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", sample, route)


def test_every_named_pattern_is_the_one_its_path_resolves_to() -> None:
    # A route may have a name per HTTP method within one app (the API's); across apps it may not.
    names: dict[tuple[str, str], set[str]] = {}
    for route, name in patterns(get_resolver()):
        names.setdefault((route, name.rpartition(":")[0]), set()).add(name)
    assert len(names) > 50  # the whole site, not an empty walk
    shadowed = {
        route: resolve(sample_path(route)).view_name
        for route, namespace in names
        if resolve(sample_path(route)).view_name not in names[route, namespace]
    }
    assert shadowed == {}
