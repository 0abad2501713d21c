"""The base layout's links and assets, looked up once per process (web.context_processors.layout):
the same addresses the {% url %} and {% static %} tags give, and none missing from the template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.urls import get_script_prefix, reverse, set_script_prefix

from vardkontakt.web import context_processors
from vardkontakt.web.context_processors import ASSETS, PAGES, layout

BASE = Path(context_processors.__file__).parent / "templates" / "web" / "base.html"


def test_the_layout_has_what_the_tags_would_give() -> None:
    found = layout()
    assert found.assets == {key: static(path) for key, path in ASSETS.items()}
    assert found.urls == {name.replace(":", "_"): reverse(name) for name in PAGES}
    assert [(lang.code, lang.choose_url) for lang in found.languages] == [
        (code, reverse("web:language", args=[code])) for code, _name in settings.LANGUAGES
    ]
    assert [lang.name for lang in found.languages] == ["Svenska", "English"]


def test_every_name_the_template_uses_is_in_the_layout_and_every_one_is_used() -> None:
    # A name the dict lacks would render as "" without an error: a dead link on every page.
    text = BASE.read_text()
    assert set(re.findall(r"vk_layout\.urls\.(\w+)", text)) == set(layout().urls)
    assert set(re.findall(r"vk_layout\.assets\.(\w+)", text)) == set(ASSETS)
    assert "{% url" not in text and "{% static" not in text


def test_a_script_prefix_has_its_own_addresses() -> None:
    before = get_script_prefix()
    try:
        set_script_prefix("/vardkontakt/")
        assert layout().urls["web_home"] == "/vardkontakt/"
        assert layout().languages[1].choose_url.startswith("/vardkontakt/")
    finally:
        set_script_prefix(before)
    assert layout().urls["web_home"] == "/"


@pytest.mark.django_db
def test_a_page_links_them(client: Client) -> None:
    body = client.get(reverse("web:home")).content.decode()
    for address in (static("vk/app.css"), reverse("directory:search"), reverse("identity:about_login")):
        assert f'"{address}' in body
    assert f'href="{reverse("web:language", args=["en"])}?next=/"' in body
