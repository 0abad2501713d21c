"""Case content is sealed at rest (DESIGN.md §5): the subject, the form's answers and every message body
are nowhere in the database in clear, and they open only with the key ring they were sealed under."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import override_settings

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, Message
from vardkontakt.cases.tests.cases_world import send
from vardkontakt.conftest import Demo
from vardkontakt.crypto.envelope import DecryptionError
from vardkontakt.crypto.keyring import get_keyring, reset_keyring_cache

SUBJECT = "Knäsmärta ZEBRASUBJ4711"
PURPOSE = "Intyg till Försäkringskassan ZEBRAANS4711"
BODY = "Jag har ont i höger knä ZEBRABODY4711"
INTERIM = "Vi har tagit emot ditt ärende ZEBRAINTERIM4711"
ANSWER = "Kom in på torsdag klockan nio ZEBRAANSWER4711"
REPLY = "Tack, jag kommer ZEBRAREPLY4711"
SECRETS = (SUBJECT, PURPOSE, BODY, INTERIM, ANSWER, REPLY)


def other_ring(kid: str) -> str:
    return json.dumps(
        {
            "primary": kid,
            "keys": {kid: base64.b64encode(bytes([0x5A]) * 32).decode()},
            "mac_key": base64.b64encode(bytes([0x6B]) * 32).decode(),
        }
    )


@pytest.fixture
def sealed_case(demo: Demo) -> Case:
    anna = demo.resident("anna")
    case = send(
        anna.user,
        anna,
        "solna",
        demo,
        subject=SUBJECT,
        body=BODY,
        code="begara-intyg",
        answers={"purpose": PURPOSE},
    )
    maria, hans = demo.member("maria"), demo.member("hans")
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hans.pk)
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hans.pk, interim=INTERIM)
    actions.answer_case(staff=hans, case_id=case.pk, body=ANSWER)
    actions.reply_as_resident(user=anna.user, resident=anna, case_id=case.pk, body=REPLY)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def foreign_keyring() -> Iterator[None]:
    """Makes the process load other key rings, as after a restart with them; restores the test ring."""
    yield
    reset_keyring_cache()


def needles(text: str) -> list[bytes]:
    token = text.split()[-1]
    return [text.encode("utf-8"), token.encode("ascii"), token.encode("utf-16-le")]


def raw_rows(table: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names are ours)
        return list(cursor.fetchall())


def as_bytes(value: object) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8")


def test_the_clear_text_is_what_the_people_wrote(sealed_case: Case) -> None:
    assert sealed_case.subject == SUBJECT
    assert json.loads(sealed_case.answers or "{}") == {"purpose": PURPOSE}
    bodies = sorted(m.body for m in sealed_case.messages.all())
    assert bodies == sorted([BODY, INTERIM, ANSWER, REPLY])


@pytest.mark.parametrize("table", ["cases_case", "cases_message"])
def test_no_column_of_the_case_tables_holds_the_text(sealed_case: Case, table: str) -> None:
    rows = raw_rows(table)
    assert rows
    for row in rows:
        for value in row:
            raw = as_bytes(value)
            for secret in SECRETS:
                for needle in needles(secret):
                    assert needle not in raw, (table, secret)


def test_no_table_of_the_database_holds_the_text(sealed_case: Case) -> None:
    """Not the history, not the access log, not a session: nowhere."""
    for table in connection.introspection.table_names():
        for row in raw_rows(table):
            for value in row:
                raw = as_bytes(value)
                for secret in SECRETS:
                    assert secret.split()[-1].encode() not in raw, (table, secret)


def test_the_sealed_columns_hold_envelopes(sealed_case: Case) -> None:
    subject_blob, answers_blob = (
        as_bytes(v)
        for v in Case.objects.filter(pk=sealed_case.pk).values_list("subject_sealed", "answers_sealed").get()
    )
    bodies = [
        as_bytes(v) for v in Message.objects.filter(case=sealed_case).values_list("body_sealed", flat=True)
    ]
    kid = get_keyring().primary_id.encode()
    for blob in (subject_blob, answers_blob, *bodies):
        assert blob.startswith(b"V1" + bytes([len(kid)]) + kid)
    assert len(bodies) == 4


@pytest.mark.parametrize("kid", ["other", "test1"])  # an unknown key id; the same id with another key
def test_without_the_key_ring_nothing_opens(sealed_case: Case, foreign_keyring: None, kid: str) -> None:
    with override_settings(VK_KEYRING=other_ring(kid), VK_KEYRING_FILE=""):
        reset_keyring_cache()
        case = Case.objects.get(pk=sealed_case.pk)
        with pytest.raises(DecryptionError):
            _ = case.subject
        with pytest.raises(DecryptionError):
            _ = case.answers
        messages = list(Message.objects.filter(case=case))
        assert len(messages) == 4
        for message in messages:
            with pytest.raises(DecryptionError):
                _ = message.body
    reset_keyring_cache()
    assert Case.objects.get(pk=sealed_case.pk).subject == SUBJECT


def test_a_body_copied_into_another_row_does_not_open(sealed_case: Case) -> None:
    """The row id is bound into the seal: a blob moved to another message (or case) is refused."""
    first, second = list(Message.objects.filter(case=sealed_case).order_by("created_at"))[:2]
    Message.objects.filter(pk=second.pk).update(body_sealed=first.body_sealed)
    moved = Message.objects.get(pk=second.pk)
    with pytest.raises(DecryptionError):
        _ = moved.body
    case = Case.objects.get(pk=sealed_case.pk)
    Case.objects.filter(pk=case.pk).update(subject_sealed=first.body_sealed)
    with pytest.raises(DecryptionError):
        _ = Case.objects.get(pk=case.pk).subject
