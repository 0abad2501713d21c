"""The staff manual: one Markdown file per role and language, kept in the repository (docs/manual/).

The files are rendered with markdown-it-py, with HTML in the source disabled (it comes out escaped, as
text), images disabled and links limited to markdown-it's safe schemes; the GOV.UK classes are set on
the elements here, so the text needs no markup of its own. Each file starts with one level-1 heading
(the chapter's title); its level-2 headings are the chapter's sections and make its table of contents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

from vardkontakt.roles.models import Role

MANUAL_DIR = Path(settings.BASE_DIR) / "docs" / "manual"
MANUAL_LANGUAGES = ("sv", "en")

_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
    "blockquote_open": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
}
_HEADING_CLASSES = {"h2": "govuk-heading-l", "h3": "govuk-heading-m", "h4": "govuk-heading-s"}


class ManualError(ValueError):
    """A manual file that breaks the rules above."""


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str


@dataclass(frozen=True)
class Chapter:
    role: str
    slug: str
    title: str
    sections: tuple[Section, ...]
    html: SafeString


def role_slug(role: str) -> str:
    return role.lower().replace("_", "-")


def role_for_slug(slug: str) -> str | None:
    return next((role.value for role in Role if role_slug(role) == slug), None)


def manual_language(language: str | None) -> str:
    return "en" if language and language.startswith("en") else "sv"


def manual_file(role: str, language: str) -> Path:
    return MANUAL_DIR / language / f"{role_slug(role)}.md"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _anchor(title: str, taken: set[str]) -> str:
    """An ASCII id for a heading ("Fördela ett ärende" → "fordela-ett-arende"), unique in ``taken``."""
    folded = unicodedata.normalize("NFKD", title.lower()).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "avsnitt"
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def render(source: str, *, role: str, name: str = "manual") -> Chapter:
    """The chapter of ``role`` from its Markdown ``source`` (``name`` names the file in errors)."""
    parser = _parser()
    tokens = parser.parse(source)
    if len(tokens) < 3 or tokens[0].type != "heading_open" or tokens[0].tag != "h1":
        raise ManualError(f"{name}: must start with one level-1 heading")
    title = tokens[1].content.strip()
    body: list[Token] = tokens[3:]
    sections: list[Section] = []
    taken: set[str] = set()
    for index, token in enumerate(body):
        if token.type == "heading_open":
            if token.tag == "h1":
                raise ManualError(f"{name}: only the first heading may be level 1")
            heading = body[index + 1].content.strip()
            anchor = _anchor(heading, taken)
            token.attrSet("id", anchor)
            token.attrSet("class", _HEADING_CLASSES.get(token.tag, "govuk-heading-s"))
            if token.tag == "h2":
                sections.append(Section(anchor=anchor, title=heading))
        elif token.type in _CLASSES:
            token.attrSet("class", _CLASSES[token.type])
        for child in token.children or ():
            if child.type in _CLASSES:
                child.attrSet("class", _CLASSES[child.type])
    html = parser.renderer.render(body, parser.options, {})
    # markdown-it escapes all text and attribute values itself, and HTML in the source is disabled.
    return Chapter(
        role=role,
        slug=role_slug(role),
        title=title,
        sections=tuple(sections),
        html=mark_safe(html),  # noqa: S308
    )


@cache
def chapter(role: str, language: str) -> Chapter:
    """The chapter of ``role`` in ``language`` ("sv" or "en"). Read once per process: the manual is
    part of the release."""
    path = manual_file(role, language)
    return render(path.read_text(encoding="utf-8"), role=role, name=str(path.relative_to(MANUAL_DIR)))


def chapters_for(held: set[str], language: str) -> list[tuple[Chapter, bool]]:
    """Every role's chapter, the roles in ``held`` first, each in the order of ``Role``; with whether it
    is one of ``held``."""
    ordered = sorted(Role, key=lambda role: role.value not in held)
    return [(chapter(role.value, language), role.value in held) for role in ordered]
