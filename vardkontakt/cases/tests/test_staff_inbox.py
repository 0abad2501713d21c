"""The clinic inbox (receivers) and "my cases" (handlers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.cases import actions
from vardkontakt.cases.lists import PAGE_SIZE
from vardkontakt.cases.models import Case, CaseStatus
from vardkontakt.cases.tests.staff_helpers import send
from vardkontakt.conftest import Demo, log_in_staff

INBOX = reverse("staff_cases:inbox")
MINE = reverse("staff_cases:mine")


def _numbers(response: object) -> set[str]:
    return {case.number for case in response.context["cases"]}  # type: ignore[attr-defined]


def test_receiver_sees_own_clinics_new_cases_and_not_another_clinics(demo: Demo) -> None:
    here = send(demo, unit="solna")
    there = send(demo, unit="ortopeden")
    response = log_in_staff(Client(), demo.member("maria")).get(INBOX)
    assert response.status_code == 200
    assert _numbers(response) == {here.number}
    body = response.content.decode()
    assert here.number in body and there.number not in body
    assert "Anna" in body  # the resident's name is shown to receivers
    assert "Hemligt meddelande" not in body and "Ont i knät" not in body  # no content in lists
    olle = log_in_staff(Client(), demo.member("olle")).get(INBOX)
    assert _numbers(olle) == {there.number}


def test_other_clinics_unit_cannot_be_chosen(demo: Demo) -> None:
    send(demo, unit="ortopeden")
    client = log_in_staff(Client(), demo.member("maria"))
    assert client.get(INBOX, {"enhet": str(demo.unit("ortopeden").pk)}).status_code == 404
    assert client.get(INBOX, {"enhet": "not-a-uuid"}).status_code == 404


def test_tabs_filter_by_status(demo: Demo) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    new = send(demo, subject="ny")
    distributed = send(demo, subject="fördelad")
    actions.distribute_case(staff=maria, case_id=distributed.pk, handler_id=hans.pk, interim="Vi återkommer.")
    answered = send(demo, subject="besvarad")
    actions.distribute_case(staff=maria, case_id=answered.pk, handler_id=hans.pk)
    actions.answer_case(staff=hans, case_id=answered.pk, body="Svar")
    closed = send(demo, subject="avslutad")
    actions.close_case(staff=maria, case_id=closed.pk, reason="Dubblett")
    late = send(demo, subject="försenad")
    Case.objects.filter(pk=late.pk).update(promised_by=timezone.localdate() - timedelta(days=1))
    # An answered case past its date is not overdue: it has been answered.
    Case.objects.filter(pk=answered.pk).update(promised_by=timezone.localdate() - timedelta(days=1))

    client = log_in_staff(Client(), maria)
    assert _numbers(client.get(INBOX)) == {new.number, late.number}
    assert _numbers(client.get(INBOX, {"flik": "nya"})) == {new.number, late.number}
    assert _numbers(client.get(INBOX, {"flik": "fordelade"})) == {distributed.number}
    assert _numbers(client.get(INBOX, {"flik": "forsenade"})) == {late.number}
    assert _numbers(client.get(INBOX, {"flik": "besvarade"})) == {answered.number}
    assert _numbers(client.get(INBOX, {"flik": "avslutade"})) == {closed.number}


def test_search_by_exact_case_number(demo: Demo) -> None:
    wanted = send(demo)
    send(demo)
    other_clinic = send(demo, unit="ortopeden")
    client = log_in_staff(Client(), demo.member("maria"))
    assert _numbers(client.get(INBOX, {"nummer": wanted.number})) == {wanted.number}
    assert _numbers(client.get(INBOX, {"nummer": f" {wanted.number} "})) == {wanted.number}
    assert _numbers(client.get(INBOX, {"nummer": wanted.number[:-1]})) == set()  # exact, not a prefix
    assert _numbers(client.get(INBOX, {"nummer": other_clinic.number})) == set()


def test_keyset_pagination_walks_every_case_once_newest_first(demo: Demo) -> None:
    total = PAGE_SIZE * 2 + 3
    cases = [send(demo, subject=f"ärende {i}") for i in range(total)]
    base = timezone.now()
    for i, case in enumerate(cases):
        # Pairs share a timestamp, so that the id breaks the tie.
        Case.objects.filter(pk=case.pk).update(last_activity=base - timedelta(minutes=i // 2))
    client = log_in_staff(Client(), demo.member("maria"))
    seen: list[Case] = []
    params: dict[str, str] = {}
    pages = 0
    while True:
        response = client.get(INBOX, params)
        assert response.status_code == 200
        seen.extend(response.context["cases"])
        pages += 1
        cursor = response.context["next_cursor"]
        if cursor is None:
            break
        assert f"efter={cursor}" in response.content.decode()
        params = {"efter": cursor}
    assert pages == 3
    assert len(seen) == total and len({c.pk for c in seen}) == total
    keys = [(c.last_activity, c.pk) for c in seen]
    assert keys == sorted(keys, reverse=True)


def test_keyset_query_uses_no_offset(demo: Demo) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(PAGE_SIZE + 1):
        send(demo)
    client = log_in_staff(Client(), demo.member("maria"))
    cursor = client.get(INBOX).context["next_cursor"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INBOX, {"efter": cursor})
    assert len(response.context["cases"]) == 1
    case_queries = [q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]
    assert case_queries and not any("OFFSET" in sql.upper() for sql in case_queries)


def test_malformed_cursor_is_404(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    assert client.get(INBOX, {"efter": "x.y"}).status_code == 404
    assert client.get(MINE, {"efter": "99999999999999999999999.abc"}).status_code == 404


def test_handler_sees_only_own_open_cases(demo: Demo) -> None:
    maria, hans, hedvig = demo.member("maria"), demo.member("hans"), demo.member("hedvig")
    mine = send(demo)
    theirs = send(demo)
    undistributed = send(demo)
    done = send(demo)
    actions.distribute_case(staff=maria, case_id=mine.pk, handler_id=hans.pk)
    actions.distribute_case(staff=maria, case_id=theirs.pk, handler_id=hedvig.pk)
    actions.distribute_case(staff=maria, case_id=done.pk, handler_id=hans.pk)
    actions.answer_case(staff=hans, case_id=done.pk, body="Klart", close=True)
    response = log_in_staff(Client(), hans).get(MINE)
    assert response.status_code == 200
    assert _numbers(response) == {mine.number}
    body = response.content.decode()
    assert theirs.number not in body and undistributed.number not in body
    assert Case.objects.get(pk=done.pk).status == CaseStatus.CLOSED
    # A handler has no clinic inbox.
    assert log_in_staff(Client(), hans).get(INBOX).status_code == 403


def test_local_admin_has_no_inbox_and_no_cases(demo: Demo) -> None:
    send(demo)
    client = log_in_staff(Client(), demo.member("lena"))
    response = client.get(INBOX)
    assert response.status_code == 403
    assert "VK-" not in response.content.decode()
    mine = client.get(MINE)
    assert mine.status_code == 200 and list(mine.context["cases"]) == []


@pytest.mark.parametrize("name", ["inbox", "mine"])
def test_lists_need_a_staff_session(demo: Demo, name: str) -> None:
    response = Client().get(reverse(f"staff_cases:{name}"))
    assert response.status_code == 302
