from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.text import capfirst
from django.utils.translation import get_language_info

from vardkontakt.identity.session import current_realm

# The addresses web/base.html links on every page: its assets and the menu's pages. They do not change
# while the process runs (for one script prefix), so they are looked up once, not by a {% static %} or
# {% url %} tag per page (together ~0.3 ms of every page: bench/README.md, "The base layout").
ASSETS = {
    "favicon": "vk/favicon.svg",
    "css": "vk/app.css",
    "htmx": "vk/htmx.min.js",
    "app": "vk/app.mjs",
    "init": "vk/init.js",
}
PAGES = (
    "web:home",
    "directory:search",
    "web:resident_home",
    "cases:inbox",
    "identity:settings",
    "web:staff_home",
    "web:manual",
    "web:support",
    "identity:login",
    "identity:staff_login",
    "identity:logout",
    "identity:about_login",
)


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, capitalised: "Svenska", "English"
    choose_url: str


@dataclass(frozen=True)
class Layout:
    assets: dict[str, str]
    urls: dict[str, str]  # by URL name, ":" written "_": urls.web_home
    languages: tuple[Language, ...]
    prefix: str


_layouts: dict[str, Layout] = {}


def layout() -> Layout:
    prefix = get_script_prefix()
    found = _layouts.get(prefix)
    if found is None:
        found = _layouts[prefix] = Layout(
            assets={key: static(path) for key, path in ASSETS.items()},
            urls={name.replace(":", "_"): reverse(name) for name in PAGES},
            languages=tuple(
                Language(
                    code,
                    capfirst(get_language_info(code)["name_local"]),
                    reverse("web:language", args=[code]),
                )
                for code, _name in settings.LANGUAGES
            ),
            prefix=prefix,
        )
    return found


def site(request: HttpRequest) -> dict[str, object]:
    return {"vk_realm": current_realm(request), "vk_layout": layout()}
