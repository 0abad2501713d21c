"""``{% load vk_i18n %}`` (web/templatetags/vk_i18n.py): ``{% translate %}`` of a constant text prints,
and stores with ``as``, what Django's tag gives, in each language, translated once per process and
language; every other use is Django's tag. Every template loads it, none Django's ``i18n``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Engine, engines
from django.templatetags.i18n import TranslateNode
from django.utils import translation
from django.utils.autoreload import file_changed

from vardkontakt.web.templatetags import vk_i18n
from vardkontakt.web.templatetags.vk_i18n import OnceTranslateNode, forget_translations

PROJECT = Path(__file__).resolve().parents[2]
DJANGO = Engine(libraries={"vk_i18n": "django.templatetags.i18n"})  # the same source, Django's tags


TEMPLATES = sorted(path for path in PROJECT.rglob("templates/**/*.*") if path.suffix in {".html", ".txt"})


def _texts() -> list[str]:
    found: set[str] = set()
    for path in TEMPLATES:
        found.update(re.findall(r'\{% translate ("[^"]*"|\'[^\']*\')', path.read_text()))
    return sorted(found)


def _render(engine: object, source: str, context: dict | None = None) -> str:
    if engine is DJANGO:
        return DJANGO.from_string(source).render(Context(context or {}))
    return engines["django"].from_string(source).render(context or {})


def _node(source: str) -> object:
    return Engine.get_default().from_string("{% load vk_i18n %}" + source).nodelist[1]


def test_the_templates_have_texts_to_compare() -> None:
    assert len(_texts()) > 300


def test_every_template_that_translates_loads_this_library() -> None:
    tags = re.compile(r"\{% (?:translate|trans|blocktranslate|blocktrans|get_current_language)\b")
    for path in TEMPLATES:
        text = path.read_text()
        loads = re.findall(r"\{% load ([^%]*)%\}", text)
        assert not any("i18n" in load.split() for load in loads), path
        if tags.search(text):
            assert any("vk_i18n" in load.split() for load in loads), path


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_text_prints_what_djangos_tag_prints(language: str) -> None:
    forget_translations()
    source = "{% load vk_i18n %}" + "".join(
        f"<{{% translate {text} %}}|{{% translate {text} as kept %}}[{{{{ kept }}}}]>" for text in _texts()
    )
    with translation.override(language):
        ours = _render(None, source)
        again = _render(None, source)  # from what was kept
        assert ours == again == _render(DJANGO, source)
    assert ("Logga ut" in ours) == (language == "sv") and ("Log out" in ours) == (language == "en")


def test_each_language_keeps_its_own() -> None:
    forget_translations()
    source = "{% load vk_i18n %}{% translate 'Logga ut' %}"
    with translation.override("sv"):
        assert _render(None, source) == "Logga ut"
    with translation.override("en"):
        assert _render(None, source) == "Log out"
    with translation.override("sv"):
        assert _render(None, source) == "Logga ut"


def test_only_a_constant_text_without_options_is_kept() -> None:
    assert type(_node("{% translate 'Logga ut' %}")) is OnceTranslateNode
    assert type(_node("{% translate 'Logga ut' as text %}")) is OnceTranslateNode
    assert type(_node("{% trans 'Logga ut' %}")) is OnceTranslateNode
    assert type(_node("{% translate message %}")) is TranslateNode
    assert type(_node("{% translate 'Logga ut'|upper %}")) is TranslateNode
    assert type(_node("{% translate 'Logga ut' noop %}")) is TranslateNode
    assert type(_node("{% translate 'Logga ut' context 'menu' %}")) is TranslateNode


def test_the_other_forms_are_djangos() -> None:
    source = "{% load vk_i18n %}{% translate message %}|{% translate 'Logga ut' noop %}|{% blocktranslate %}Logga ut{% endblocktranslate %}"
    with translation.override("en"):
        assert _render(None, source, {"message": "Logga ut"}) == "Log out|Logga ut|Log out"


def test_a_changed_catalog_is_read_again() -> None:
    with translation.override("en"):
        _render(None, "{% load vk_i18n %}{% translate 'Logga ut' %}")
    assert vk_i18n._translated
    file_changed.send(sender=None, file_path=PROJECT / "web" / "views.py")
    assert vk_i18n._translated
    file_changed.send(sender=None, file_path=PROJECT / "locale" / "en" / "LC_MESSAGES" / "django.mo")
    assert not vk_i18n._translated
