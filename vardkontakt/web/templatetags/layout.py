"""The parts of web/base.html that are the same on every page of one language and realm (the header
with the menu, and the footer), rendered once per process for each combination of the values they
vary on, then reused as they are. Nothing of one request may go inside them (docs/development.md)."""

from __future__ import annotations

from django import template
from django.template import Context

register = template.Library()

_parts: dict[tuple[object, ...], str] = {}


@register.simple_tag(takes_context=True)
def layout_part(context: Context, name: str, *vary_on: object) -> str:
    """Template ``name`` rendered with this page's context the first time, for ``vary_on``; the same
    output afterwards. ``vary_on`` must name every value the part uses."""
    key = (name, *vary_on)
    part = _parts.get(key)
    if part is None:
        page = context.template
        if page is None:
            raise template.TemplateSyntaxError("{% layout_part %} renders inside a template only")
        part = _parts[key] = page.engine.get_template(name).render(context)
    return part


def forget_parts() -> None:
    """Render the parts again on their next use (tests)."""
    _parts.clear()
