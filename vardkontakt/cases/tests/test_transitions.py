"""Status changes come from one table of allowed transitions, each with a history row; actions refuse bad
input whole, leaving nothing half-written.

The table below is written out by hand (issue 3: sent, with a handler, interim reply, answered, closed),
not computed from cases.models.TRANSITIONS; the first test holds the two together. Nothing goes back to
"sent" and nothing leaves "closed"; an interim reply can come with any (re)distribution, so every open
status may go to "interim".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, policy
from vardkontakt.cases.models import TRANSITIONS, Case, CaseStatus, CaseType, Message, StatusChange
from vardkontakt.cases.tests.cases_world import case_type, row_counts, send
from vardkontakt.conftest import Demo
from vardkontakt.directory.models import UnitStatus

STATUS_COLUMNS = ("sent", "distributed", "interim", "answered", "closed")

# May a case go from the row's status to the column's?  Y = yes, - = no.
TRANSITION_TABLE = """
from          sent distributed interim answered closed
sent          -    Y           Y       Y        Y
distributed   -    Y           Y       Y        Y
interim       -    Y           Y       Y        Y
answered      -    Y           Y       Y        Y
closed        -    -           -       -        -
"""


def parse_table() -> dict[tuple[str, str], bool]:
    lines = [line.split() for line in TRANSITION_TABLE.strip().splitlines()]
    assert tuple(lines[0][1:]) == STATUS_COLUMNS
    return {
        (row[0], to): cell == "Y"
        for row in lines[1:]
        for to, cell in zip(STATUS_COLUMNS, row[1:], strict=True)
    }


ALLOWED = parse_table()
PAIRS = sorted(ALLOWED)


def test_the_table_is_the_code_s_table() -> None:
    assert set(STATUS_COLUMNS) == set(CaseStatus.values)
    assert set(ALLOWED) == {(a, b) for a in CaseStatus.values for b in CaseStatus.values}
    assert {(a, b) for (a, b), ok in ALLOWED.items() if ok} == {
        (a, b) for a, targets in TRANSITIONS.items() for b in targets
    }


@pytest.fixture
def fresh_case(demo: Demo) -> Case:
    lars = demo.resident("lars")
    return send(lars.user, lars, "solna", demo, subject="Övergångar")


def set_status(case: Case, status: str) -> Case:
    Case.objects.filter(pk=case.pk).update(status=status)
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_change_status(demo: Demo, fresh_case: Case, from_status: str, to_status: str) -> None:
    case = set_status(fresh_case, from_status)
    maria = demo.member("maria")
    before = StatusChange.objects.count()
    if ALLOWED[(from_status, to_status)]:
        with transaction.atomic():
            actions.change_status(case, to_status, maria.user, reason="test " * 60)
            case.save(update_fields=["status", "last_activity"])
        assert StatusChange.objects.count() == before + 1
        row = StatusChange.objects.latest("id")
        assert (row.case_id, row.from_status, row.to_status, row.by_id) == (
            case.pk,
            from_status,
            to_status,
            maria.user.pk,
        )
        assert row.reason == ("test " * 60)[:200]
        assert Case.objects.get(pk=case.pk).status == to_status
    else:
        with pytest.raises(ValidationError) as raised, transaction.atomic():
            actions.change_status(case, to_status, maria.user)
        assert raised.value.code == "transition"
        assert StatusChange.objects.count() == before
        assert case.status == from_status
        assert Case.objects.get(pk=case.pk).status == from_status


def test_a_case_s_life_leaves_one_history_row_per_step(demo: Demo, fresh_case: Case) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    lars = demo.resident("lars")
    actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id=hans.pk)
    actions.answer_case(staff=hans, case_id=fresh_case.pk, body="Kom in.", close=True)
    history = list(
        StatusChange.objects.filter(case=fresh_case)
        .order_by("id")
        .values_list("from_status", "to_status", "by")
    )
    assert history == [
        ("", CaseStatus.SENT, lars.user.pk),
        (CaseStatus.SENT, CaseStatus.DISTRIBUTED, maria.user.pk),
        (CaseStatus.DISTRIBUTED, CaseStatus.ANSWERED, hans.user.pk),
        (CaseStatus.ANSWERED, CaseStatus.CLOSED, hans.user.pk),
    ]
    assert Case.objects.get(pk=fresh_case.pk).status == CaseStatus.CLOSED


@pytest.mark.parametrize("start", [CaseStatus.SENT, CaseStatus.DISTRIBUTED, CaseStatus.ANSWERED])
def test_a_receiver_distributes_with_an_interim_reply_from_any_open_state(
    demo: Demo, fresh_case: Case, start: str
) -> None:
    """Issue 3: "distribute and redistribute to a handler with an optional interim reply" — also a new
    case, and an answered one that goes back to a handler."""
    maria, hans, hedvig = demo.member("maria"), demo.member("hans"), demo.member("hedvig")
    if start != CaseStatus.SENT:
        actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id=hans.pk)
    if start == CaseStatus.ANSWERED:
        actions.answer_case(staff=hans, case_id=fresh_case.pk, body="Svar.")
    assert Case.objects.get(pk=fresh_case.pk).status == start
    actions.distribute_case(
        staff=maria, case_id=fresh_case.pk, handler_id=hedvig.pk, interim="Vi återkommer."
    )
    case = Case.objects.get(pk=fresh_case.pk)
    assert (case.status, case.handler) == (CaseStatus.INTERIM, hedvig)
    assert case.messages.filter(interim=True).get().body == "Vi återkommer."
    last = StatusChange.objects.filter(case=case).latest("id")
    assert last.to_status == CaseStatus.INTERIM


def test_a_closed_case_cannot_be_answered_distributed_replied_to_or_closed_again(
    demo: Demo, fresh_case: Case
) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    lars = demo.resident("lars")
    actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id=hans.pk)
    actions.close_case(staff=maria, case_id=fresh_case.pk, reason="Klart")
    counts = row_counts()
    refusals: list[tuple[type[Exception], Callable[[], object]]] = [
        (PermissionDenied, lambda: actions.answer_case(staff=hans, case_id=fresh_case.pk, body="Svar.")),
        (
            PermissionDenied,
            lambda: actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id=hans.pk),
        ),
        (
            PermissionDenied,
            lambda: actions.distribute_case(
                staff=maria, case_id=fresh_case.pk, handler_id=hans.pk, interim="Hej"
            ),
        ),
        (PermissionDenied, lambda: actions.close_case(staff=maria, case_id=fresh_case.pk)),
        (
            ValidationError,
            lambda: actions.reply_as_resident(
                user=lars.user, resident=lars, case_id=fresh_case.pk, body="Hallå?"
            ),
        ),
    ]
    for error, run in refusals:
        with pytest.raises(error):
            run()
    assert row_counts() == counts
    case = Case.objects.get(pk=fresh_case.pk)
    assert case.status == CaseStatus.CLOSED
    assert not policy.can_send_interim(maria, case)
    assert not policy.resident_may_reply(case)
    # Still readable by those who may read it.
    with transaction.atomic():
        assert actions.open_case_for_staff(hans, case.pk) == case


# --- Bad input at the action level -----------------------------------------------------------------


def send_kwargs(demo: Demo, **overrides: object) -> dict[str, object]:
    anna = demo.resident("anna")
    kwargs: dict[str, object] = {
        "user": anna.user,
        "resident": anna,
        "unit": demo.unit("solna"),
        "case_type": case_type(),
        "subject": "Fråga",
        "body": "Hej!",
        "answers": {},
        "accepted_terms": True,
        "idempotency_key": uuid.uuid4(),
    }
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   \n "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "\t "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"accepted_terms": False}, "accept_terms"),
    ],
    ids=[
        "empty-subject",
        "blank-subject",
        "long-subject",
        "empty-body",
        "blank-body",
        "long-body",
        "no-terms",
    ],
)
def test_send_case_refuses_bad_text_and_writes_nothing(
    demo: Demo, overrides: dict[str, object], field: str
) -> None:
    counts = row_counts()
    with pytest.raises(ValidationError) as raised:
        actions.send_case(**send_kwargs(demo, **overrides))  # type: ignore[arg-type]
    assert field in raised.value.message_dict
    assert row_counts() == counts


def test_the_longest_allowed_texts_are_accepted(demo: Demo) -> None:
    case = actions.send_case(**send_kwargs(demo, subject="s" * 200, body="b" * 10_000))  # type: ignore[arg-type]
    assert len(case.subject) == 200
    assert len(case.messages.get().body) == 10_000


def test_send_case_checks_the_question_form(demo: Demo) -> None:
    counts = row_counts()
    with pytest.raises(ValidationError) as raised:
        actions.send_case(
            **send_kwargs(  # type: ignore[arg-type]
                demo, case_type=case_type("av-omboka-tid"), answers={"appointment": "", "action": "Flytta"}
            )
        )
    assert set(raised.value.message_dict) == {"q_appointment", "q_action"}
    assert row_counts() == counts


def test_a_type_the_clinic_does_not_offer(demo: Demo) -> None:
    solna, ortopeden = demo.unit("solna"), demo.unit("ortopeden")
    foreign = CaseType.objects.create(code="gips", unit=ortopeden, name="Gipskontroll")
    actions.activate_case_type(ortopeden, foreign)
    counts = row_counts()
    with pytest.raises(ValidationError) as raised:
        actions.send_case(**send_kwargs(demo, case_type=foreign))  # type: ignore[arg-type]
    assert raised.value.code == "case_type"
    actions.activate_case_type(solna, case_type("synpunkter"), active=False)
    with pytest.raises(ValidationError) as raised:
        actions.send_case(**send_kwargs(demo, case_type=case_type("synpunkter")))  # type: ignore[arg-type]
    assert raised.value.code == "case_type"
    assert row_counts() == counts


def test_a_clinic_outside_the_resident_s_region(demo: Demo) -> None:
    per = demo.resident("per")
    assert per.region_code == "12"
    counts = row_counts()
    with pytest.raises(ValidationError) as raised:
        actions.send_case(**send_kwargs(demo, user=per.user, resident=per))  # type: ignore[arg-type]
    assert raised.value.code == "unit"
    assert not actions.units_open_to(per).exists()
    assert row_counts() == counts


def test_a_clinic_whose_service_area_leaves_the_resident_out(demo: Demo) -> None:
    solna = demo.unit("solna")
    solna.service_area_municipalities = ["0184"]  # Solna only; Lars lives in Stockholm (0180)
    solna.save(update_fields=["service_area_municipalities"])
    lars = demo.resident("lars")
    counts = row_counts()
    with pytest.raises(ValidationError) as raised:
        actions.send_case(**send_kwargs(demo, user=lars.user, resident=lars))  # type: ignore[arg-type]
    assert raised.value.code == "unit"
    assert row_counts() == counts
    actions.send_case(**send_kwargs(demo))  # type: ignore[arg-type]  # Anna lives in Solna
    assert row_counts()[0] == counts[0] + 1


@pytest.mark.parametrize("status", [UnitStatus.INACTIVE, UnitStatus.LISTED])
def test_a_clinic_that_is_not_active(demo: Demo, status: str) -> None:
    solna = demo.unit("solna")
    solna.status = status
    solna.save(update_fields=["status"])
    counts = row_counts()
    with pytest.raises(ValidationError) as raised:
        actions.send_case(**send_kwargs(demo))  # type: ignore[arg-type]
    assert raised.value.code == "unit"
    assert row_counts() == counts


def test_a_clinic_that_has_switched_cases_off(demo: Demo) -> None:
    solna = demo.unit("solna")
    solna.eservices.filter(service="cases").update(active=False)
    with pytest.raises(ValidationError):
        actions.send_case(**send_kwargs(demo))  # type: ignore[arg-type]


def test_a_repeated_idempotency_key_gives_one_case(demo: Demo) -> None:
    key = uuid.uuid4()
    counts = row_counts()
    first = actions.send_case(**send_kwargs(demo, idempotency_key=key))  # type: ignore[arg-type]
    second = actions.send_case(
        **send_kwargs(demo, idempotency_key=key, subject="Annan text")  # type: ignore[arg-type]
    )
    assert second.pk == first.pk
    assert row_counts() == (counts[0] + 1, counts[1] + 1, counts[2] + 1)
    assert Case.objects.get(pk=first.pk).subject == "Fråga"
    # The key is the sender's: someone else's submit with the same key is a case of its own.
    lars = demo.resident("lars")
    other = actions.send_case(**send_kwargs(demo, idempotency_key=key, user=lars.user, resident=lars))  # type: ignore[arg-type]
    assert other.pk != first.pk


def test_staff_actions_refuse_bad_text_and_write_nothing(demo: Demo, fresh_case: Case) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id=hans.pk)
    counts = row_counts()
    log_rows = AccessLogEntry.objects.count()
    for run in (
        lambda: actions.answer_case(staff=hans, case_id=fresh_case.pk, body=""),
        lambda: actions.answer_case(staff=hans, case_id=fresh_case.pk, body="x" * 10_001, close=True),
        lambda: actions.distribute_case(
            staff=maria, case_id=fresh_case.pk, handler_id=hans.pk, interim="x" * 10_001
        ),
        # Not a handler of the clinic.
        lambda: actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id=maria.pk),
        lambda: actions.distribute_case(
            staff=maria, case_id=fresh_case.pk, handler_id=demo.member("olle").pk
        ),
        lambda: actions.distribute_case(staff=maria, case_id=fresh_case.pk, handler_id="nonsense"),
    ):
        with pytest.raises(ValidationError):
            run()
    assert row_counts() == counts
    assert AccessLogEntry.objects.count() == log_rows  # the reads rolled back with their actions
    case = Case.objects.get(pk=fresh_case.pk)
    assert (case.status, case.handler) == (CaseStatus.DISTRIBUTED, hans)


def test_resident_replies_refuse_bad_text_and_information_only_cases(demo: Demo) -> None:
    anna = demo.resident("anna")
    renewal = send(
        anna.user,
        anna,
        "solna",
        demo,
        code="fornya-recept",
        answers={"medicine": "Alvedon", "same_dose": "ja"},
    )
    assert not renewal.resident_may_reply
    plain = send(anna.user, anna, "solna", demo)
    counts = row_counts()
    for case_id, body in ((plain.pk, ""), (plain.pk, " "), (plain.pk, "x" * 10_001), (renewal.pk, "Hej")):
        with pytest.raises(ValidationError):
            actions.reply_as_resident(user=anna.user, resident=anna, case_id=case_id, body=body)
    assert row_counts() == counts
    assert Message.objects.filter(case=plain).count() == 1
