"""``{% url %}`` as a built-in of the template engine (``TEMPLATES`` ``builtins`` in settings.py): a URL
name without arguments is reversed once per process (``ids.url_pattern``), not once per tag and
request. Django's ``reverse`` walks the URLconf's patterns for a name every time (about 30 µs here);
half of the templates' ``{% url %}`` tags name a page without arguments. A tag with arguments, or a
name that is a variable, is Django's own tag unchanged. What the tag prints, and what ``as`` stores,
is what Django's tag gives (web/tests/test_url_once.py)."""

from __future__ import annotations

from django.template import Context, Library, Node, defaulttags
from django.template.base import Parser, Token
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from vardkontakt.ids import url_pattern

register = Library()


class OnceURLNode(defaulttags.URLNode):
    """A constant URL name without arguments. ``current_app`` is not looked up: it picks among the
    instances of one application namespace, and every namespace here has one instance (tested)."""

    def render(self, context: Context) -> str:
        try:
            url = url_pattern(self.view_name.var, 0)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> Node:
    node = defaulttags.url(parser, token)
    name = node.view_name
    if isinstance(name.var, str) and not name.filters and not node.args and not node.kwargs:
        return OnceURLNode(name, node.args, node.kwargs, node.asvar)
    return node
