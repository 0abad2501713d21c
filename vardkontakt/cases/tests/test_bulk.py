"""Reverse flow: a case handler sends a case to a list of residents, run as a background task.

Every personnummer here is an official test number (data/testpersonnummer.csv), most of them people
of the local population register (data/population-register.json)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, bulk
from vardkontakt.cases.models import (
    AuthorKind,
    BulkRecipient,
    BulkSend,
    BulkStatus,
    Case,
    CaseStatus,
    CaseType,
    RecipientOutcome,
)
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.actions import record_consent, set_notification_addresses
from vardkontakt.identity.models import User
from vardkontakt.notifications.models import Kind, Notification

INFO = "information-fran-mottagningen"
QUESTION = "fraga-fran-mottagningen"
UNKNOWN = "189001019802"  # an official test number the register does not know

# (line as written, expected outcome, resident key or None)
MIXED = [
    ("19870102-2389", RecipientOutcome.SENT, "anna"),
    ("195801122655", RecipientOutcome.SENT, "lars"),
    (UNKNOWN, RecipientOutcome.UNKNOWN, None),
    ("194501103297", RecipientOutcome.DECEASED, "gosta"),
    ("19870102-2388", RecipientOutcome.INVALID, None),  # wrong check digit
    ("870102-2389", RecipientOutcome.DUPLICATE, "anna"),  # Anna again, in another written form
    ("194501128278", RecipientOutcome.LOCKED, "gunnar"),
    ("197001239297", RecipientOutcome.NOT_CONTACTABLE, "per"),  # never consented
]


def template(code: str) -> CaseType:
    return CaseType.objects.get(code=code, unit__isnull=True)


@pytest.fixture
def world(demo: Demo) -> Demo:
    for key in ("anna", "lars", "gunnar", "kim"):
        record_consent(demo.resident(key))
    gunnar = demo.resident("gunnar")
    User.objects.filter(pk=gunnar.user_id).update(is_active=False)  # a locked login
    return demo


def start(
    demo: Demo, lines: list[str], *, code: str = INFO, key: uuid.UUID | None = None, member: str = "hans"
) -> BulkSend:
    return bulk.start_bulk_send(
        staff=demo.member(member),
        unit=demo.unit("solna"),
        case_type=template(code),
        subject="Influensavaccination",
        body="Nu kan du boka tid för vaccination mot influensa.",
        numbers="\n".join(lines),
        idempotency_key=key or uuid.uuid4(),
    )


def run_now(capture: Callable[..., Any], demo: Demo, lines: list[str], **kwargs: Any) -> BulkSend:
    """Start a send and let its task run after commit (the immediate task backend in tests)."""
    with capture(execute=True):
        sent = start(demo, lines, **kwargs)
    sent.refresh_from_db()
    return sent


def outcomes(sent: BulkSend) -> list[str]:
    return list(sent.recipients.order_by("position").values_list("outcome", flat=True))


def detail(sent: BulkSend) -> str:
    return reverse("staff_cases:bulk_detail", args=[sent.pk])


# --- The outcomes -------------------------------------------------------------------------------------


def test_mixed_list_gives_each_recipient_the_right_outcome(
    world: Demo, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    lines = [line for line, _o, _k in MIXED]
    sent = run_now(django_capture_on_commit_callbacks, world, ["", *lines[:4], "   ", *lines[4:]])
    assert sent.status == BulkStatus.DONE and sent.finished_at is not None
    assert (sent.total, sent.processed) == (8, 8)  # blank lines are not recipients
    assert outcomes(sent) == [outcome for _l, outcome, _k in MIXED]
    for row, (_line, _outcome, key) in zip(sent.recipients.order_by("position"), MIXED, strict=True):
        assert row.resident_id == (world.resident(key).pk if key else None)
    cases = Case.objects.filter(unit=world.unit("solna"), case_type=template(INFO))
    assert {c.resident_id for c in cases} == {world.resident("anna").pk, world.resident("lars").pk}
    assert cases.count() == 2
    hans = world.member("hans")
    for case in cases:
        assert case.subject == "Influensavaccination"
        assert case.created_by_id == hans.user_id and case.handler == hans and case.answered_by == hans
        assert case.status == CaseStatus.CLOSED and not case.resident_may_reply
        [message] = case.messages.all()
        assert message.author_id == hans.user_id and message.author_kind == AuthorKind.STAFF
        assert message.body == "Nu kan du boka tid för vaccination mot influensa."
        assert list(case.history.order_by("at", "pk").values_list("to_status", flat=True)) == [
            CaseStatus.ANSWERED,
            CaseStatus.CLOSED,
        ]
    linked = sent.recipients.filter(outcome=RecipientOutcome.SENT).values_list("case_id", flat=True)
    assert set(linked) == {c.pk for c in cases}


def test_identities_are_sealed(world: Demo) -> None:
    sent = start(world, ["19870102-2389"])
    raw = BulkRecipient.objects.filter(bulk=sent).values_list("identity_sealed", flat=True).get()
    assert b"198701022389" not in bytes(raw) and b"19870102-2389" not in bytes(raw)


def test_information_cases_refuse_replies_and_question_cases_allow_them(
    world: Demo, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    anna = world.resident("anna")
    run_now(django_capture_on_commit_callbacks, world, ["198701022389"], code=INFO)
    run_now(django_capture_on_commit_callbacks, world, ["198701022389"], code=QUESTION)
    info = Case.objects.get(resident=anna, case_type=template(INFO))
    question = Case.objects.get(resident=anna, case_type=template(QUESTION))
    with pytest.raises(ValidationError):
        actions.reply_as_resident(user=anna.user, resident=anna, case_id=info.pk, body="Tack!")
    assert question.status == CaseStatus.ANSWERED and question.resident_may_reply
    actions.reply_as_resident(user=anna.user, resident=anna, case_id=question.pk, body="Ja, gärna.")
    assert question.messages.filter(author_kind=AuthorKind.RESIDENT).count() == 1
    # The resident finds both in the inbox and can open them.
    client = log_in_resident(Client(), anna)
    for case in (info, question):
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    # The sender follows the question case among their own.
    mine = log_in_staff(Client(), world.member("hans")).get(reverse("staff_cases:mine"))
    assert question.number in mine.content.decode() and info.number not in mine.content.decode()


# --- Starting: limits, permission, double submit --------------------------------------------------------


def test_more_than_1000_numbers_is_refused_with_a_clear_error(world: Demo) -> None:
    with pytest.raises(ValidationError) as error:
        start(world, ["198701022389"] * 1001)
    assert "högst 1 000" in str(error.value.message_dict["numbers"])
    assert "1001" in str(error.value.message_dict["numbers"])
    assert not BulkSend.objects.exists()
    assert start(world, ["198701022389"] * 1000).total == 1000


@pytest.mark.parametrize("numbers", ["", "  \n\n  \n"])
def test_an_empty_list_is_refused(world: Demo, numbers: str) -> None:
    with pytest.raises(ValidationError) as error:
        start(world, [numbers])
    assert "Skriv minst ett personnummer" in str(error.value.message_dict["numbers"])
    assert not BulkSend.objects.exists()


def test_only_a_handler_of_the_unit_may_send(world: Demo) -> None:
    with pytest.raises(PermissionDenied):
        start(world, ["198701022389"], member="maria")  # receiver, not handler
    with pytest.raises(PermissionDenied):
        start(world, ["198701022389"], member="olle")  # handler at another clinic
    assert (
        log_in_staff(Client(), world.member("maria")).get(reverse("staff_cases:bulk_new")).status_code == 403
    )
    assert not BulkSend.objects.exists()


def test_a_resident_template_is_not_a_bulk_template(world: Demo) -> None:
    with pytest.raises(ValidationError):
        start(world, ["198701022389"], code="skicka-meddelande")


def _post(client: Client, demo: Demo, key: str, numbers: str, code: str = INFO) -> Any:
    return client.post(
        reverse("staff_cases:bulk_new"),
        {
            "unit": str(demo.unit("solna").pk),
            "case_type": str(template(code).pk),
            "subject": "Provsvar",
            "body": "Dina provsvar är klara.",
            "numbers": numbers,
            "idempotency_key": key,
        },
    )


def test_the_form_starts_a_send_and_a_double_submit_creates_one(
    world: Demo, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = log_in_staff(Client(), world.member("hans"))
    page = client.get(reverse("staff_cases:bulk_new"))
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    assert f'value="{key}"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, world, str(key), "19870102-2389\n195801122655")
    with django_capture_on_commit_callbacks(execute=True):
        second = _post(client, world, str(key), "19870102-2389\n195801122655")
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert "19870102" not in first["Location"] and "870102" not in first["Location"]
    assert BulkSend.objects.count() == 1
    assert Case.objects.filter(case_type=template(INFO)).count() == 2


def test_the_form_shows_the_limit_error(world: Demo) -> None:
    client = log_in_staff(Client(), world.member("hans"))
    response = _post(client, world, str(uuid.uuid4()), "\n".join(["198701022389"] * 1001))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Det finns ett problem" in body and "högst 1 000" in body
    response = _post(client, world, str(uuid.uuid4()), "")
    assert response.status_code == 400 and "Skriv minst ett personnummer" in response.content.decode()
    assert not BulkSend.objects.exists()


# --- A crash midway --------------------------------------------------------------------------------------


def test_running_again_after_a_crash_creates_no_duplicate_cases(
    world: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not run after commit: the test drives the task itself.
    sent = start(world, ["198701022389", "195801122655", "199001012385", UNKNOWN])
    assert sent.status == BulkStatus.QUEUED and outcomes(sent) == [RecipientOutcome.PENDING] * 4
    real = bulk._deliver
    calls = {"n": 0}

    def crash_on_third(*args: Any, **kwargs: Any) -> Case:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    set_notification_addresses(world.resident("anna"), email="anna@example.org", mobile="")
    monkeypatch.setattr(bulk, "_deliver", crash_on_third)
    with pytest.raises(RuntimeError):
        bulk.process_bulk_send(sent.pk, batch_size=2)
    sent.refresh_from_db()
    # The first batch committed; the second rolled back whole (no case without its outcome).
    assert sent.status == BulkStatus.RUNNING and sent.processed == 2
    assert outcomes(sent)[:2] == [RecipientOutcome.SENT] * 2
    assert outcomes(sent)[2:] == [RecipientOutcome.PENDING] * 2
    assert Case.objects.filter(case_type=template(INFO)).count() == 2

    monkeypatch.setattr(bulk, "_deliver", real)
    bulk.process_bulk_send(sent.pk, batch_size=2)
    sent.refresh_from_db()
    assert sent.status == BulkStatus.DONE and sent.processed == 4
    assert outcomes(sent) == [RecipientOutcome.SENT] * 3 + [RecipientOutcome.UNKNOWN]
    cases = Case.objects.filter(case_type=template(INFO))
    assert cases.count() == 3 and len({c.resident_id for c in cases}) == 3

    # Run again once done: nothing happens. And should an outcome ever be lost, the case's
    # idempotency key still finds the case made for that line instead of making a second.
    bulk.process_bulk_send(sent.pk)
    BulkRecipient.objects.filter(bulk=sent, position=1).update(outcome=RecipientOutcome.PENDING, case=None)
    BulkSend.objects.filter(pk=sent.pk).update(status=BulkStatus.RUNNING)
    bulk.process_bulk_send(sent.pk)
    assert Case.objects.filter(case_type=template(INFO)).count() == 3
    assert BulkRecipient.objects.get(bulk=sent, position=1).case_id is not None
    # Anna was told once, content-free, however many times the task ran.
    assert Notification.objects.filter(kind=Kind.RESIDENT_NEW_MESSAGE).count() == 1


# --- The progress and result page ------------------------------------------------------------------------


def test_progress_page_polls_while_running(world: Demo) -> None:
    sent = start(world, ["198701022389", "195801122655", UNKNOWN])  # queued: its task has not run
    client = log_in_staff(Client(), world.member("hans"))
    response = client.get(detail(sent))
    assert response.status_code == 200
    body = response.content.decode()
    assert "0 av 3 behandlade (0 %)" in body and "I kö" in body
    assert 'hx-trigger="every 2s"' in body and f'hx-get="{detail(sent)}"' in body
    assert "<script>" not in body.split('id="bulk-progress"')[1]
    fragment = client.get(detail(sent), headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.content.decode().startswith('<div id="bulk-progress"')
    assert "<html" not in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    bulk.process_bulk_send(sent.pk, batch_size=2)
    done = client.get(detail(sent), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "3 av 3 behandlade (100 %)" in done


def test_result_page_reports_everyone_not_sent_by_name_or_masked_number(
    world: Demo, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    sent = run_now(django_capture_on_commit_callbacks, world, [line for line, _o, _k in MIXED])
    client = log_in_staff(Client(), world.member("hans"))
    response = client.get(detail(sent))
    body = response.content.decode()
    assert "hx-trigger" not in body
    assert "2 av 8 fick meddelandet." in body and "6 fick inte meddelandet" in body
    reported = {(r.position, r.who, str(r.reason)) for r in response.context["reported"]}
    assert reported == {
        (3, "18900101-****", "Okänd i folkbokföringen"),
        (4, "Gösta Lund (19450110-****)", "Avliden"),
        (5, "19870102-****", "Inte ett giltigt personnummer"),
        (6, "Anna Andersson (19870102-****)", "Fanns redan i listan"),
        (7, "Gunnar Berg (19450112-****)", "Inloggningen är spärrad"),
        (8, "Per Nilsson (19700123-****)", "Kan inte nås digitalt"),
    }
    for line, _outcome, _key in MIXED:  # no whole number on the page
        assert line not in body
    assert "Lars Johansson" not in body  # sent: counted, not listed
    assert AccessLogEntry.objects.filter(action="bulk.read", object_id=str(sent.pk)).count() == 1


def test_only_receivers_and_handlers_of_the_unit_see_a_send(world: Demo) -> None:
    sent = start(world, ["198701022389"])
    for key in ("hans", "hedvig", "maria"):  # creator, another handler, a receiver at Solna
        assert log_in_staff(Client(), world.member(key)).get(detail(sent)).status_code == 200, key
    for key in ("olle", "lena", "vera", "greta", "rita"):  # other clinic, admin, manager, reviewer, region
        assert log_in_staff(Client(), world.member(key)).get(detail(sent)).status_code == 404, key
    hans = log_in_staff(Client(), world.member("hans"))
    assert hans.get(reverse("staff_cases:bulk_detail", args=["inte-ett-id"])).status_code == 404
    assert hans.get(reverse("staff_cases:bulk_detail", args=[uuid.uuid4()])).status_code == 404
    resident = log_in_resident(Client(), world.resident("anna"))
    assert resident.get(detail(sent)).status_code == 403
