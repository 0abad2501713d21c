"""The base layout's links and assets, looked up once per process (web.context_processors.layout):
the same addresses the {% url %} and {% static %} tags give, and none missing from the template. The
parts of the layout that are the same on every page of one language and realm are rendered once per
process ({% layout_part %}): what is reused is what the template renders, and one language's or
realm's parts never show on another's page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.urls import get_script_prefix, reverse, set_script_prefix

from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.web import context_processors
from vardkontakt.web.context_processors import ASSETS, PAGES, layout
from vardkontakt.web.templatetags.layout import forget_parts

WEB = Path(context_processors.__file__).parent / "templates" / "web"
LAYOUT = ("base.html", "_layout_top.html", "_layout_footer.html")  # the base and its fixed parts


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
    text = "".join((WEB / name).read_text() for name in LAYOUT)
    assert all(f'{{% layout_part "web/{name}" ' in text for name in LAYOUT[1:])
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


def _without_tokens(body: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


@pytest.mark.django_db
def test_a_script_prefix_keys_its_own_cached_parts() -> None:
    assert layout().prefix == get_script_prefix()


def test_cached_parts_are_what_the_template_renders(demo: Demo) -> None:
    anonymous = Client()
    resident = log_in_resident(Client(), demo.resident("anna"))
    staff = log_in_staff(Client(), demo.member("lena"))
    pages = [
        (anonymous, reverse("web:home")),
        (resident, reverse("web:resident_home")),
        (staff, reverse("web:staff_home")),
    ]
    forget_parts()
    for language in ("sv", "en"):  # kept for both: a key without the language would mix them
        for client, _path in pages:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        rendered = [_without_tokens(client.get(path).content.decode()) for client, path in pages]
        cached = [_without_tokens(client.get(path).content.decode()) for client, path in pages]
        assert cached == rendered
        log_out, staff_menu, resident_menu, other = (
            ("Logga ut", "Manual", "Mina sidor", "Skip to main content")
            if language == "sv"
            else ("Log out", "Manual", "My pages", "Hoppa till huvudinnehållet")
        )
        home, resident_home, staff_home = cached
        assert log_out not in home and resident_menu not in home and staff_menu not in home
        assert log_out in resident_home and resident_menu in resident_home and staff_menu not in resident_home
        assert log_out in staff_home and staff_menu in staff_home and resident_menu not in staff_home
        assert all(other not in body for body in cached)


def test_the_log_out_button_sends_its_form_with_this_requests_token(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    body = client.get(reverse("web:resident_home")).content.decode()
    assert re.search(r'<button type="submit" form="vk-logout"[^>]*>Logga ut</button>', body)
    form = re.search(r'<form id="vk-logout" method="post" action="([^"]+)" hidden>(.*?)</form>', body)
    assert form is not None and form.group(1) == reverse("identity:logout")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2))
    assert token is not None
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(reverse("identity:logout")).status_code == 403
    response = strict.post(reverse("identity:logout"), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
