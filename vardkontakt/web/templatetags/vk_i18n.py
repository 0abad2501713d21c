"""Django's ``i18n`` template library with one change; every template loads it (``{% load vk_i18n %}``)
instead of Django's. ``{% translate "text" %}`` of a constant text, without filters or the ``noop``
and ``context`` options, is translated once per process and language, then reused: Django's tag looks
up the active language's catalog, escapes, and restores percent signs on every render (about 10 µs),
and a page has 10 to 20 of them. Every other tag and use is Django's, and what the tag prints or
stores with ``as`` is what Django's gives (web/tests/test_vk_i18n.py). ``makemessages`` finds the
texts as before: it reads the tags, whichever library defines them.

A catalog that changes while the process runs (the development server reloads .mo files without a
restart) empties what was kept, as do the settings that change the catalogs in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context, Library, Node
from django.template.base import Parser, Token
from django.templatetags import i18n as django_i18n
from django.utils.autoreload import file_changed
from django.utils.translation import get_language

register = Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

_translated: dict[tuple[str, str | None], str] = {}


class OnceTranslateNode(Node):
    child_nodelists = ()

    def __init__(self, node: django_i18n.TranslateNode) -> None:
        self.text = node.filter_expression.var.literal
        self.asvar = node.asvar
        self.django = django_i18n.TranslateNode(node.filter_expression, noop=False)  # without `as`

    def render(self, context: Context) -> str:
        key = (self.text, get_language())
        value = _translated.get(key)
        if value is None:
            value = _translated[key] = self.django.render(context)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def translate(parser: Parser, token: Token) -> Node:
    node = django_i18n.do_translate(parser, token)
    expression = node.filter_expression
    constant = getattr(expression.var, "literal", None) is not None and expression.var.lookups is None
    if constant and not expression.filters and not node.noop and node.message_context is None:
        return OnceTranslateNode(node)
    return node


def forget_translations() -> None:
    _translated.clear()


@receiver(file_changed)
def _catalog_changed(sender: Any, file_path: Path, **kwargs: Any) -> None:
    if file_path.suffix == ".mo":
        forget_translations()


@receiver(setting_changed)
def _languages_changed(setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        forget_translations()
