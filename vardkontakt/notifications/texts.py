"""The words of every notification. Fixed and content-free (DESIGN.md §2): never a name, a subject, a
message text, a personnummer or a case number. Kept here, not in the translation catalogue, because
the resident text is a prescribed wording in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from vardkontakt.notifications.models import Kind, Language


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


_RESIDENT = {
    Language.SV: Text(
        subject="Nytt meddelande i Vårdkontakt",
        body="Du har ett nytt meddelande i Vårdkontakt. Logga in för att läsa det. "
        "Du kan inte svara på detta meddelande.",
    ),
    Language.EN: Text(
        subject="New message in Vårdkontakt",
        body="You have a new message in Vårdkontakt. Log in to read it. You cannot reply to this message.",
    ),
}

_STAFF_NEW_CASE = {
    Language.SV: Text(subject="Nytt ärende i Vårdkontakt", body="Ett nytt ärende har kommit till {unit}."),
    Language.EN: Text(subject="New case in Vårdkontakt", body="A new case has arrived at {unit}."),
}

_STAFF_ASSIGNED = {
    Language.SV: Text(subject="Ärende fördelat i Vårdkontakt", body="Ett ärende har fördelats till dig."),
    Language.EN: Text(subject="Case assigned in Vårdkontakt", body="A case has been assigned to you."),
}

_BY_KIND = {
    Kind.RESIDENT_NEW_MESSAGE: _RESIDENT,
    Kind.STAFF_NEW_CASE: _STAFF_NEW_CASE,
    Kind.STAFF_ASSIGNED: _STAFF_ASSIGNED,
}


def text_for(kind: str, language: str, *, unit_name: str = "") -> Text:
    texts = _BY_KIND[Kind(kind)]
    chosen = texts.get(Language(language) if language in Language.values else Language.SV, texts[Language.SV])
    if "{unit}" in chosen.body:
        fallback = "mottagningen" if language != Language.EN else "the clinic"
        return Text(subject=chosen.subject, body=chosen.body.format(unit=unit_name or fallback))
    return chosen
