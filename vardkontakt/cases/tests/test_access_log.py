"""Every staff read of a case writes one access-log row in the read's own transaction (DESIGN.md §2, §5);
a refused read writes none, and residents' reads of their own cases need none."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, policy
from vardkontakt.cases.tests.cases_world import World, acting, build_world, staff_read
from vardkontakt.conftest import Demo
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import Role


class ReadFailed(Exception):
    pass


@pytest.fixture
def log_world(demo: Demo) -> World:
    return build_world(demo)


def case_reads() -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(action="case.read").order_by("id"))


def only_new_read(before: int) -> AccessLogEntry:
    entries = case_reads()[before:]
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize(
    ("staff_key", "case_key", "unit_key", "resident_key", "role"),
    [
        ("maria", "lars", "solna", "lars", Role.CASE_RECEIVER),
        ("maria", "anna", "solna", "anna", Role.CASE_RECEIVER),
        # The subject is the child whose case it is, not the guardian who sent it.
        ("maria", "elsa", "solna", "elsa", Role.CASE_RECEIVER),
        ("hans", "anna", "solna", "anna", Role.CASE_HANDLER),
        # Olle is receiver and handler at his clinic: he reads as receiver.
        ("olle", "ortho", "ortopeden", "lars", Role.CASE_RECEIVER),
    ],
)
def test_a_staff_read_writes_exactly_one_row(
    log_world: World, staff_key: str, case_key: str, unit_key: str, resident_key: str, role: str
) -> None:
    staff = log_world.member(staff_key)
    case = log_world.case(case_key)
    before = len(case_reads())
    total_before = AccessLogEntry.objects.count()
    assert staff_read(staff, case.pk) == case
    entry = only_new_read(before)
    assert AccessLogEntry.objects.count() == total_before + 1
    assert (
        entry.actor_id,
        entry.acting_role,
        entry.unit_id,
        entry.subject_id,
        entry.object_type,
        entry.object_id,
        entry.action,
    ) == (
        staff.user.pk,
        role,
        log_world.demo.unit(unit_key).pk,
        log_world.resident(resident_key).pk,
        "Case",
        str(case.pk),
        "case.read",
    )


def test_each_read_is_logged_again(log_world: World) -> None:
    maria = log_world.member("maria")
    case = log_world.case("lars")
    before = len(case_reads())
    for _ in range(3):
        staff_read(maria, case.pk)
    assert len(case_reads()) == before + 3


def test_the_handler_who_answered_reads_as_handler_after_redistribution(log_world: World) -> None:
    maria, hans, hedvig = (log_world.member(k) for k in ("maria", "hans", "hedvig"))
    case = log_world.case("anna")
    actions.answer_case(staff=hans, case_id=case.pk, body="Kom in på torsdag.")
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hedvig.pk)
    before = len(case_reads())
    staff_read(hans, case.pk)
    entry = only_new_read(before)
    assert (entry.actor_id, entry.acting_role) == (hans.user.pk, Role.CASE_HANDLER)


@pytest.mark.parametrize(
    ("name", "run"),
    [
        (
            "distribute",
            lambda w: actions.distribute_case(
                staff=w.member("maria"), case_id=w.case("lars").pk, handler_id=w.member("hedvig").pk
            ),
        ),
        (
            "answer",
            lambda w: actions.answer_case(staff=w.member("hans"), case_id=w.case("anna").pk, body="Ja."),
        ),
        ("close", lambda w: actions.close_case(staff=w.member("maria"), case_id=w.case("lars").pk)),
    ],
)
def test_each_staff_action_on_a_case_logs_its_read_once(log_world: World, name: str, run: object) -> None:
    before = len(case_reads())
    run(log_world)  # type: ignore[operator]
    assert len(case_reads()) == before + 1, name


def test_a_read_that_rolls_back_leaves_no_row(log_world: World) -> None:
    maria = log_world.member("maria")
    case = log_world.case("lars")
    before = AccessLogEntry.objects.count()
    with pytest.raises(ReadFailed), transaction.atomic():
        actions.open_case_for_staff(maria, case.pk)
        assert AccessLogEntry.objects.count() == before + 1  # written in the read's transaction ...
        raise ReadFailed
    assert AccessLogEntry.objects.count() == before  # ... and gone with it


def test_an_action_that_fails_after_the_read_leaves_no_row(log_world: World) -> None:
    """The answer is refused after the read (empty text): the read's row goes with the transaction."""
    hans = log_world.member("hans")
    before = AccessLogEntry.objects.count()
    with pytest.raises(ValidationError):
        actions.answer_case(staff=hans, case_id=log_world.case("anna").pk, body="   ")
    assert AccessLogEntry.objects.count() == before


@pytest.mark.parametrize(
    ("staff_key", "case_key"),
    [
        ("hedvig", "anna"),
        ("hans", "lars"),
        ("lena", "anna"),
        ("greta", "anna"),
        ("vera", "anna"),
        ("olle", "anna"),
        ("rita", "anna"),
        ("sam", "anna"),
        ("nils", "anna"),
        ("maria", "ortho"),
    ],
)
def test_a_refused_read_writes_nothing(log_world: World, staff_key: str, case_key: str) -> None:
    staff = log_world.member(staff_key)
    before = AccessLogEntry.objects.count()
    # The refusal is caught inside the transaction, which then commits: still no row.
    with transaction.atomic():
        with pytest.raises(Http404):
            actions.open_case_for_staff(staff, log_world.case(case_key).pk)
        with pytest.raises(Http404):
            actions.open_case_for_staff(staff, uuid.uuid4())
    assert AccessLogEntry.objects.count() == before


def test_refused_actions_write_nothing(log_world: World) -> None:
    hedvig = log_world.member("hedvig")
    case = log_world.case("anna")
    before = AccessLogEntry.objects.count()
    for run in (
        lambda: actions.distribute_case(staff=hedvig, case_id=case.pk, handler_id=hedvig.pk),
        lambda: actions.answer_case(staff=hedvig, case_id=case.pk, body="Svar."),
        lambda: actions.close_case(staff=hedvig, case_id=case.pk),
    ):
        with pytest.raises(Http404):
            run()
    assert AccessLogEntry.objects.count() == before


def test_residents_reading_and_replying_to_their_own_cases_write_no_row(log_world: World) -> None:
    anna, elsa = log_world.resident("anna"), log_world.resident("elsa")
    before = AccessLogEntry.objects.count()
    for who, key in ((acting(anna), "anna"), (acting(anna, elsa), "elsa")):
        case = policy.cases_of_resident(who).get(pk=log_world.case(key).pk)
        assert [m.body for m in case.messages.all()]  # the bodies are opened
        actions.mark_read_by_resident(case)
        actions.reply_as_resident(user=anna.user, resident=who, case_id=case.pk, body="Tack!")
    assert AccessLogEntry.objects.count() == before


def test_open_case_for_staff_outside_a_transaction_is_refused_before_any_read() -> None:
    """Outside a transaction there is nothing to write the row in, so the read does not happen. (No
    ``db`` fixture: pytest-django would refuse any query, so this also shows that none is made.)"""
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(RuntimeError, match="inside the transaction"):
        actions.open_case_for_staff(Staff(), uuid.uuid4())
