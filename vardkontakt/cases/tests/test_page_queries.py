"""The benchmarked pages (bench/) ask a fixed number of queries, however many rows or messages they
show (no query per row), and read the member's grants once per request."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case
from vardkontakt.cases.tests import resident_helpers
from vardkontakt.cases.tests.staff_helpers import page, send
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff


def _queries(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _grant_reads(queries: list[str]) -> int:
    return sum(1 for sql in queries if 'FROM "roles_rolegrant"' in sql.split("WHERE")[0])


def _distribute_and_answer(demo: Demo, case: Case) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hans.pk, interim="Vi återkommer.")
    actions.answer_case(staff=hans, case_id=case.pk, body="Svar")


def test_the_clinic_inbox_asks_as_many_queries_for_one_case_as_for_many(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    send(demo)
    inbox = reverse("staff_cases:inbox")
    one = _queries(client, inbox)
    for n in range(5):
        send(demo, resident="lars" if n % 2 else "anna")
    many = _queries(client, inbox)
    assert len(many) == len(one)
    assert _grant_reads(many) == 1
    # The same for a tab whose rows have a handler.
    for n in range(3):
        _distribute_and_answer(demo, send(demo, subject=f"Ärende {n}"))
    assert len(_queries(client, f"{inbox}?flik=besvarade")) == len(one)
    # The list reads only what it shows: not the sealed subject, nor the clinic's or the case type's texts.
    for column in ('"subject_sealed"', '"description"', '"form"', '"standard_replies"', '"opening_hours"'):
        assert not any(column in sql for sql in many), column


def test_the_resident_inbox_asks_as_many_queries_for_one_case_as_for_many(demo: Demo) -> None:
    anna, solna = demo.resident("anna"), demo.unit("solna")
    client = log_in_resident(Client(), anna)
    inbox = reverse("cases:inbox")
    resident_helpers.send(anna, solna)
    one = _queries(client, inbox)
    for n in range(5):
        case = resident_helpers.send(anna, solna, subject=f"Fråga {n}")
        if n % 2:  # some with unread messages from the clinic
            _distribute_and_answer(demo, case)
    many = _queries(client, inbox)
    assert len(many) == len(one)
    assert _grant_reads(many) == 0
    # One statement gives the page and counts the unread messages of its rows (lists.resident_inbox_page).
    reads = [sql for sql in many if '"cases_case"' in sql or '"cases_message"' in sql]
    assert len(reads) == 1 and 'FROM "cases_message"' in reads[0]


def test_sending_a_case_asks_as_many_queries_the_first_time_as_later(demo: Demo) -> None:
    anna, solna = demo.resident("anna"), demo.unit("solna")
    client = log_in_resident(Client(), anna)
    kind = resident_helpers.case_type("skicka-meddelande")
    url = f"{reverse('cases:new')}?mottagning={solna.pk}&typ={kind.pk}"

    def post() -> list[str]:
        data = {"subject": "Fråga", "body": "Hej", "accept_terms": "on", "resident": str(anna.pk)}
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, {**data, "idempotency_key": str(uuid.uuid4())})
        assert response.status_code == 302
        return [q["sql"] for q in captured.captured_queries]

    first, later = post(), post()
    assert len(first) == len(later)
    # A first submit does not look its idempotency key up (actions.send_case): only a refusal or
    # the insert's clash with an earlier case does.
    lookups = [sql for sql in first if sql.startswith("SELECT") and "idempotency_key" in sql]
    assert lookups == []


def test_the_case_page_asks_as_many_queries_for_one_message_as_for_many(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    short, long = send(demo), send(demo)
    _distribute_and_answer(demo, long)
    anna = demo.resident("anna")
    for n in range(3):
        actions.reply_as_resident(user=anna.user, resident=anna, case_id=long.pk, body=f"Tillägg {n}")
    one, many = _queries(client, page(short)), _queries(client, page(long))
    assert long.messages.count() >= 5 and short.messages.count() == 1
    assert len(many) == len(one)
    # Each read writes its access-log row; the grants are read once.
    assert sum(1 for sql in one if sql.startswith('INSERT INTO "audit_accesslogentry"')) == 1
    assert sum(1 for sql in many if sql.startswith('INSERT INTO "audit_accesslogentry"')) == 1
    assert _grant_reads(one) == 1 and _grant_reads(many) == 1


def test_the_case_page_reads_the_case_once_and_only_the_columns_it_shows(demo: Demo) -> None:
    """views_staff.CASE_PAGE_FIELDS: the case read leaves out the clinic's contact card, the case
    type's texts and the resident's sealed personnummer and addresses; nothing the page or the
    access-log row uses is deferred (a deferred column would be read by a query of its own)."""
    client = log_in_staff(Client(), demo.member("maria"))
    case = send(demo)
    _distribute_and_answer(demo, case)  # a handler's name and an answer on the page
    queries = _queries(client, page(case))
    tables = ('"cases_case"', '"directory_unit"', '"cases_casetype"', '"identity_resident"')
    reads = [sql for sql in queries if sql.startswith("SELECT") and any(f"FROM {t}" in sql for t in tables)]
    assert len(reads) == 1 and reads[0].startswith('SELECT "cases_case"."id"')
    for column in ('"description"', '"opening_hours"', '"terms"', '"pnr_sealed"', '"notify_email_sealed"'):
        assert column not in reads[0], column
    for column in ('"subject_sealed"', '"answers_sealed"', '"standard_replies"', '"family_name"'):
        assert column in reads[0], column
