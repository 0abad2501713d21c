"""The built-in ``{% url %}`` (web/templatetags/url_once.py): for a URL name without arguments it
prints, and stores with ``as``, what Django's tag gives, reversed once per process; every other use
is Django's tag itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Engine, engines
from django.template.defaulttags import URLNode
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, reverse, set_script_prefix

from vardkontakt.web.templatetags.url_once import OnceURLNode

PROJECT = Path(__file__).resolve().parents[2]
# Django's own engine (its built-ins only), to compare with.
DJANGO = Engine(libraries={}, builtins=[])


def _names_without_arguments() -> set[str]:
    found: set[str] = set()
    for path in PROJECT.rglob("templates/**/*.html"):
        found.update(re.findall(r"\{% url '([\w:]+)' (?:as \w+ )?%\}", path.read_text()))
    return found


def _render(engine, source: str, context: dict | None = None) -> str:
    template = engine.from_string(source)
    return template.render(context or {}) if engine is not DJANGO else template.render(Context(context or {}))


def _project():
    return engines["django"]


def test_the_templates_name_pages_without_arguments() -> None:
    assert len(_names_without_arguments()) >= 20  # the pattern above still finds the tags


@pytest.mark.parametrize("name", sorted(_names_without_arguments()))
def test_each_name_prints_what_djangos_tag_prints(name: str) -> None:
    source = f"{{% url '{name}' %}}|{{% url '{name}' as there %}}[{{{{ there }}}}]"
    assert _render(_project(), source) == _render(DJANGO, source) == f"{reverse(name)}|[{reverse(name)}]"


def test_only_a_constant_name_without_arguments_is_reversed_once() -> None:
    def node(source: str):
        return Engine.get_default().from_string(source).nodelist[0]

    assert type(node("{% url 'cases:inbox' %}")) is OnceURLNode
    assert type(node("{% url 'cases:inbox' as there %}")) is OnceURLNode
    assert type(node("{% url 'cases:archive' case_id %}")) is URLNode
    assert type(node("{% url name %}")) is URLNode
    assert type(node("{% url 'cases:inbox'|lower %}")) is URLNode


def test_the_other_forms_are_djangos() -> None:
    case_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    source = "{% url 'cases:archive' case_id %}|{% url name %}"
    context = {"case_id": case_id, "name": "cases:inbox"}
    assert (
        _render(_project(), source, context)
        == f"{reverse('cases:archive', args=[case_id])}|{reverse('cases:inbox')}"
    )


def test_an_unknown_name_fails_as_djangos_does() -> None:
    with pytest.raises(NoReverseMatch):
        _render(_project(), "{% url 'cases:no_such_page' %}")
    assert _render(_project(), "{% url 'cases:no_such_page' as there %}[{{ there }}]") == "[]"


def test_a_script_prefix_gets_its_own_address() -> None:
    before = get_script_prefix()
    try:
        set_script_prefix("/vardkontakt/")
        inside = _render(_project(), "{% url 'cases:inbox' %}")
        assert inside == reverse("cases:inbox") and inside.startswith("/vardkontakt/")
    finally:
        set_script_prefix(before)
    outside = _render(_project(), "{% url 'cases:inbox' %}")
    assert outside == reverse("cases:inbox") and not outside.startswith("/vardkontakt/")


def test_every_application_namespace_has_one_instance() -> None:
    # Why the tag does not look up current_app: it only chooses among instances of one namespace.
    assert all(len(instances) == 1 for instances in get_resolver().app_dict.values())
