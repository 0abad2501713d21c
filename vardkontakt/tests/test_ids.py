"""ids.url_pattern: a URL reversed once, with each row's ids put in place of the placeholders."""

from __future__ import annotations

import uuid

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix

from vardkontakt.ids import ID_PLACEHOLDERS, url_pattern


def filled(name: str, *ids: uuid.UUID) -> str:
    address = url_pattern(name, len(ids))
    for placeholder, ident in zip(ID_PLACEHOLDERS, ids, strict=False):
        address = address.replace(placeholder, str(ident), 1)
    return address


@pytest.mark.parametrize(
    ("name", "ids"), [("directory:unit", 1), ("cases:detail", 1), ("staff_cases:attachment", 2)]
)
def test_filled_pattern_is_reverse(name: str, ids: int) -> None:
    for _ in range(3):  # the first call reverses, the others reuse the pattern
        args = [uuid.uuid4() for _ in range(ids)]
        assert filled(name, *args) == reverse(name, args=args)


def test_pattern_follows_the_script_prefix() -> None:
    ident = uuid.uuid4()
    before = filled("directory:unit", ident)
    prefix = get_script_prefix()
    set_script_prefix("/vardkontakt/")
    try:
        under = filled("directory:unit", ident)
        assert under == reverse("directory:unit", args=[ident])
        assert under == "/vardkontakt" + before
    finally:
        set_script_prefix(prefix)
    assert filled("directory:unit", ident) == before
