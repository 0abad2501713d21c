"""Every Swedish interface string has an English translation (WCAG 3.1: the English interface is
English throughout, not a mix)."""

from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

PO = Path(settings.BASE_DIR) / "vardkontakt" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_string_is_translated_and_none_is_fuzzy() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    untranslated = [
        message.id
        for message in catalog
        if message.id and not all(message.string if isinstance(message.string, tuple) else [message.string])
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalog) > 200
