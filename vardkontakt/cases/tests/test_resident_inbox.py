"""The resident's inbox: only the acting resident's cases, newest activity first, paged by keyset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vardkontakt.cases import actions, lists
from vardkontakt.cases.models import Case
from vardkontakt.cases.tests.resident_helpers import send
from vardkontakt.conftest import Demo

INBOX = reverse("cases:inbox")


def case_links(page: str) -> list[str]:
    return re.findall(r'href="/mina-sidor/arenden/([0-9a-f-]{36})/"', page)


def test_the_inbox_shows_only_the_acting_residents_cases(demo: Demo, resident_client: Client) -> None:
    solna = demo.unit("solna")
    own = send(demo.resident("anna"), solna, subject="Annas ärende")
    others = send(demo.resident("lars"), solna, subject="Lars ärende")
    childs = send(demo.resident("elsa"), solna, subject="Elsas ärende", user=demo.resident("anna").user)
    page = resident_client.get(INBOX).content.decode()
    assert "Mina ärenden" in page and "Annas ärende" in page and own.number in page
    assert case_links(page) == [str(own.pk)]
    assert "Lars ärende" not in page and "Elsas ärende" not in page and "Du agerar för" not in page

    resident_client.post(reverse("identity:act_for"), {"child": str(demo.resident("elsa").pk)})
    page = resident_client.get(INBOX).content.decode()
    assert case_links(page) == [str(childs.pk)]
    assert "Du agerar för Elsa Andersson" in page
    assert "Annas ärende" not in page and others.number not in page


def test_a_resident_without_cases_is_told_so_and_can_start_one(demo: Demo, resident_client: Client) -> None:
    page = resident_client.get(INBOX).content.decode()
    assert "Du har inga ärenden." in page
    assert f'href="{reverse("cases:new")}"' in page


def test_the_inbox_lists_status_clinic_type_unread_and_promised_date(
    demo: Demo, resident_client: Client
) -> None:
    case = send(demo.resident("anna"), demo.unit("solna"), subject="Fråga om provsvar")
    actions.distribute_case(
        staff=demo.member("maria"),
        case_id=case.pk,
        handler_id=demo.member("hans").pk,
        interim="Vi tittar på det.",
    )
    page = resident_client.get(INBOX).content.decode()
    assert "Vårdcentral Solna" in page and "Skicka meddelande" in page
    assert "Delsvar" in page and "1 oläst" in page
    assert case.promised_by.isoformat() in page
    resident_client.get(reverse("cases:detail", args=[case.pk]))
    assert "1 oläst" not in resident_client.get(INBOX).content.decode()


def test_an_overdue_case_is_flagged_in_the_inbox(demo: Demo, resident_client: Client) -> None:
    case = send(demo.resident("anna"), demo.unit("solna"))
    Case.objects.filter(pk=case.pk).update(promised_by=timezone.localdate() - timedelta(days=1))
    assert "Försenat" in resident_client.get(INBOX).content.decode()


def test_the_inbox_pages_by_keyset_newest_activity_first(
    demo: Demo, resident_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lists, "RESIDENT_PAGE_SIZE", 3)
    anna, solna = demo.resident("anna"), demo.unit("solna")
    cases = [send(anna, solna, subject=f"Ärende {n}") for n in range(7)]
    base = timezone.now() - timedelta(days=1)
    # Two cases share one moment, so the id must break the tie.
    moments = [
        base,
        base + timedelta(minutes=1),
        base + timedelta(minutes=1),
        base + timedelta(minutes=3),
        base + timedelta(minutes=4),
        base + timedelta(minutes=5),
        base + timedelta(minutes=6),
    ]
    for case, moment in zip(cases, moments, strict=True):
        Case.objects.filter(pk=case.pk).update(last_activity=moment)
    expected = [str(c.pk) for c in Case.objects.order_by("-last_activity", "-id")]
    seen: list[str] = []
    url = INBOX
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            page = resident_client.get(url).content.decode()
        assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
        seen += case_links(page)
        pages += 1
        match = re.search(r'href="(\?efter=[^"]+)" rel="next"', page)
        url = INBOX + match.group(1).replace("&amp;", "&") if match else ""
    assert seen == expected and pages == 3
    # Another resident's case changes nothing; a reply moves the oldest case to the top.
    send(demo.resident("lars"), solna)
    assert case_links(resident_client.get(INBOX).content.decode()) == expected[:3]
    actions.reply_as_resident(user=anna.user, resident=anna, case_id=expected[-1], body="Ett tillägg.")
    assert case_links(resident_client.get(INBOX).content.decode()) == [expected[-1], *expected[:2]]


def test_a_malformed_cursor_is_answered_like_a_malformed_id(demo: Demo, resident_client: Client) -> None:
    case = send(demo.resident("anna"), demo.unit("solna"))
    for cursor in ("nonsense", "2026-01-01T00:00:00_x", "_" + str(case.pk), "123." + "z" * 32):
        assert resident_client.get(INBOX, {"efter": cursor}).status_code == 404
