"""The resident's inbox: only the acting resident's cases, newest activity first, paged by keyset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from vardkontakt.cases import actions, lists
from vardkontakt.cases.models import AuthorKind, Case, CaseStatus, Message
from vardkontakt.cases.templatetags.case_lists import resident_case_rows
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


# The loop of cases/resident_inbox.html before case_lists.resident_case_rows built the rows (with the
# row's own names for the clinic's and the type's names: unit_name, case_type_name).
TEMPLATE_LOOP = """{% load i18n case_lists %}{% translate "Inga olästa" as no_unread %}{% for case in cases %}
        <tr class="govuk-table__row">
          <td class="govuk-table__cell">
            <a class="govuk-link" href="{{ case.pk|url_with_id:'cases:detail' }}">{{ case.subject }}</a>
            <span class="govuk-body-s govuk-!-display-block">{{ case.number }}</span>
          </td>
          <td class="govuk-table__cell">{{ case.unit_name }}</td>
          <td class="govuk-table__cell">{{ case.case_type_name }}</td>
          <td class="govuk-table__cell"><strong class="govuk-tag{% if case.status == 'closed' %} govuk-tag--grey{% elif case.status == 'answered' %} govuk-tag--green{% endif %}">{{ case.status|status_label }}</strong></td>
          <td class="govuk-table__cell">{% if case.unread %}<strong class="govuk-tag govuk-tag--blue">{% blocktranslate count counter=case.unread %}{{ counter }} oläst{% plural %}{{ counter }} olästa{% endblocktranslate %}</strong>{% else %}<span class="govuk-visually-hidden">{{ no_unread }}</span>{% endif %}</td>
          <td class="govuk-table__cell">{% if case.status == 'answered' or case.status == 'closed' %}–{% else %}{{ case.promised_by|iso_day }}{% if case.promised_by < today %} <strong class="govuk-tag govuk-tag--red">{% translate "Försenat" %}</strong>{% endif %}{% endif %}</td>
        </tr>
        {% endfor %}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_print_what_the_template_loop_printed(demo: Demo, language: str) -> None:
    anna, solna = demo.resident("anna"), demo.unit("solna")
    today = timezone.localdate()
    staff_user = demo.member("maria").user
    # Every status, overdue or not, 0, 1 and 2 unread, and a subject that must be escaped.
    for n, status in enumerate([*CaseStatus.values, *CaseStatus.values]):
        case = send(anna, solna, subject=f"<b>\"Fråga\" {n} & 'svar'</b>")
        promised = today + timedelta(days=1 if n % 2 else -1)
        Case.objects.filter(pk=case.pk).update(status=status, promised_by=promised)
        for _ in range(n % 3):
            message = Message(case=case, author=staff_user, author_kind=AuthorKind.STAFF)
            message.body = "Svar"
            message.save()
    rows, _cursor = lists.resident_inbox_page(anna)
    assert {row.unread for row in rows} == {0, 1, 2}
    with translation.override(language):
        expected = Template(TEMPLATE_LOOP).render(Context({"cases": rows, "today": today}))
        assert resident_case_rows(rows, today) == expected
    assert "&lt;b&gt;&quot;Fråga&quot; 0 &amp; &#x27;svar&#x27;&lt;/b&gt;" in expected
