"""Who may do what with a case (DESIGN.md §2), as an explicit table at the policy and action level.

The cases (cases_world.py): Anna's own at Vårdcentral Solna, distributed by Maria to Hans; Elsa's (10),
sent by Anna acting for her; Oskar's (14), sent by himself; Lars's at Solna (not distributed); Lars's
at the orthopaedic clinic (Olle's unit). "nosuch" is an id that does not exist.

The table is written out by hand from DESIGN.md §2, not computed from the policy:
- the resident reads, lists and replies to their own cases; a guardian acting for a child under 13
  does so for the child's cases only (and, in proxy mode, not for their own); for Oskar (14) the proxy
  does not hold, so Anna stays herself and his case does not exist for her;
- the clinic's case receivers (Maria at Solna, Olle at the orthopaedic clinic) read every case of their
  clinic, distribute it, send interim replies and close it, but do not answer a case that is not
  assigned to them (403: they can see it, so the refusal says so);
- the assigned handler (Hans) reads, redistributes, sends interim replies, answers and closes;
- everybody else (the other handler, the local admin, the access admin, the log reviewer, the unit
  manager, the other clinic's receiver, the region's administrators, support, staff without a role)
  gets the same 404 as for an id that does not exist, for every action.

Columns: list (in cases_of_resident / cases_visible_to_staff), read (the resident's queryset /
actions.open_case_for_staff), distribute (actions.distribute_case to a handler of the clinic), interim
(a read, then policy.can_send_interim: there is no separate interim action yet), answer
(actions.answer_case), close (actions.close_case), reply (actions.reply_as_resident).
Cells: Y allowed, 404 Http404, 403 PermissionDenied, - not listed, . not applicable to the persona.
Every cell runs in a savepoint that is rolled back, so the cells of a row do not affect each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from vardkontakt.cases import actions, policy
from vardkontakt.cases.models import Case, CaseStatus
from vardkontakt.cases.tests.cases_world import World, acting, build_world, staff_read
from vardkontakt.conftest import Demo
from vardkontakt.identity.models import GuardianBlock, Resident, Staff
from vardkontakt.ids import first_by_id
from vardkontakt.roles.actions import revoke_role
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.web import demo as demo_data

COLUMNS = ("list", "read", "distribute", "interim", "answer", "close", "reply")

# persona: a demo staff key, a demo resident key, or "guardian>child" (the guardian acting for the child);
# "guardian!>child": the same, with the unit manager's block of that guardian in force at Solna (the
# child's case exists for the guardian nowhere there; the guardian's own case, as themself, still does).
MATRIX = """
persona       case    list read distribute interim answer close reply
anna          anna    Y    Y    .          .       .      .     Y
lars          anna    -    404  .          .       .      .     404
anna>elsa     elsa    Y    Y    .          .       .      .     Y
anna>elsa     anna    -    404  .          .       .      .     404
anna          elsa    -    404  .          .       .      .     404
anna>oskar    oskar   -    404  .          .       .      .     404
anna!>elsa    elsa    -    404  .          .       .      .     404
anna!>elsa    anna    Y    Y    .          .       .      .     Y
oskar         oskar   Y    Y    .          .       .      .     Y
maria         anna    Y    Y    Y          Y       403    Y     .
maria         elsa    Y    Y    Y          Y       403    Y     .
maria         lars    Y    Y    Y          Y       403    Y     .
maria         ortho   -    404  404        404     404    404   .
maria         nosuch  -    404  404        404     404    404   .
hans          anna    Y    Y    Y          Y       Y      Y     .
hans          lars    -    404  404        404     404    404   .
hedvig        anna    -    404  404        404     404    404   .
lena          anna    -    404  404        404     404    404   .
bo            anna    -    404  404        404     404    404   .
greta         anna    -    404  404        404     404    404   .
vera          anna    -    404  404        404     404    404   .
olle          anna    -    404  404        404     404    404   .
olle          ortho   Y    Y    Y          Y       403    Y     .
rita          anna    -    404  404        404     404    404   .
karl          anna    -    404  404        404     404    404   .
sam           anna    -    404  404        404     404    404   .
nils          anna    -    404  404        404     404    404   .
"""


def parse_matrix() -> list[tuple[str, str, dict[str, str]]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == COLUMNS
    return [(row[0], row[1], dict(zip(COLUMNS, row[2:], strict=True))) for row in rows]


ROWS = parse_matrix()
STAFF_KEYS = {spec.key for spec in demo_data.STAFF}


@pytest.fixture
def matrix_world(demo: Demo) -> World:
    return build_world(demo)


def outcome(action: Callable[[], object]) -> str:
    """Run ``action`` in a savepoint that is always rolled back; say how it ended."""
    try:
        with transaction.atomic():
            action()
            transaction.set_rollback(True)
    except Http404:
        return "404"
    except PermissionDenied:
        return "403"
    return "Y"


def case_id(world: World, key: str) -> uuid.UUID:
    return uuid.uuid4() if key == "nosuch" else world.case(key).pk


def resident_row(world: World, persona: str, ident: uuid.UUID) -> dict[str, str]:
    guardian_key, _, child_key = persona.partition(">")
    blocked = guardian_key.endswith("!")
    me = world.resident(guardian_key.rstrip("!"))
    child = world.resident(child_key) if child_key else None
    if blocked and child is not None:
        block_guardian_at_solna(world, me, child)
    # The guardian's own case is read as themself (the block is about proxy access only).
    case = Case.objects.filter(pk=ident).first()
    if blocked and case is not None and case.resident == me:
        child = None
    who: Resident = acting(me, child)

    def read() -> None:
        if first_by_id(policy.cases_of_resident(who, by=me.user), ident) is None:
            raise Http404

    def reply() -> None:
        actions.reply_as_resident(user=me.user, resident=who, case_id=ident, body="Tack för svaret.")

    return {
        "list": "Y" if policy.cases_of_resident(who, by=me.user).filter(pk=ident).exists() else "-",
        "read": outcome(read),
        "distribute": ".",
        "interim": ".",
        "answer": ".",
        "close": ".",
        "reply": outcome(reply),
    }


def block_guardian_at_solna(world: World, guardian: Resident, child: Resident) -> GuardianBlock:
    block = GuardianBlock(
        guardian=guardian,
        child=child,
        unit=world.demo.unit("solna"),
        decided_at=world.demo.unit("solna"),
        decided_by=world.member("vera"),
        valid_from=timezone.localdate(),
    )
    block.reason = "Beslut enligt journal."
    block.save()
    return block


def staff_row(world: World, staff: Staff, ident: uuid.UUID) -> dict[str, str]:
    case = Case.objects.filter(pk=ident).select_related("unit").first()
    # A handler of the case's clinic other than the one it is assigned to (Olle at his own clinic).
    target = world.member("olle") if case is not None and case.unit == world.demo.unit("ortopeden") else None
    target = target or world.member("hedvig")

    def interim() -> None:
        with transaction.atomic():
            opened = actions.open_case_for_staff(staff, ident)
            if not policy.can_send_interim(staff, opened):
                raise PermissionDenied

    return {
        "list": "Y" if policy.cases_visible_to_staff(staff).filter(pk=ident).exists() else "-",
        "read": outcome(lambda: staff_read(staff, ident)),
        "distribute": outcome(
            lambda: actions.distribute_case(staff=staff, case_id=ident, handler_id=target.pk)
        ),
        "interim": outcome(interim),
        "answer": outcome(lambda: actions.answer_case(staff=staff, case_id=ident, body="Välkommen in.")),
        "close": outcome(lambda: actions.close_case(staff=staff, case_id=ident)),
        "reply": ".",
    }


@pytest.mark.parametrize(("persona", "case_key", "expected"), ROWS, ids=[f"{p}-{c}" for p, c, _ in ROWS])
def test_access_matrix(matrix_world: World, persona: str, case_key: str, expected: dict[str, str]) -> None:
    ident = case_id(matrix_world, case_key)
    if persona in STAFF_KEYS:
        actual = staff_row(matrix_world, matrix_world.member(persona), ident)
    else:
        actual = resident_row(matrix_world, persona, ident)
    assert actual == expected


def test_the_matrix_covers_every_staff_persona_and_the_world_is_as_described(matrix_world: World) -> None:
    assert {persona for persona, _, _ in ROWS if persona in STAFF_KEYS} == STAFF_KEYS
    anna = matrix_world.case("anna")
    assert anna.status == CaseStatus.DISTRIBUTED and anna.handler == matrix_world.member("hans")
    assert matrix_world.case("lars").status == CaseStatus.SENT and matrix_world.case("lars").handler is None
    assert matrix_world.case("elsa").by_guardian and matrix_world.case("elsa").created_by == (
        matrix_world.resident("anna").user
    )
    assert not matrix_world.case("oskar").by_guardian


def test_a_denied_case_and_a_missing_one_give_the_same_answer(matrix_world: World) -> None:
    """The 404 for a case one may not see is the very same as for an id that does not exist, and for a
    malformed id: nothing tells them apart."""
    hedvig = matrix_world.member("hedvig")
    answers = []
    for ident in (matrix_world.case("anna").pk, uuid.uuid4(), "not-a-uuid", None):
        with pytest.raises(Http404) as raised:
            staff_read(hedvig, ident)
        answers.append((type(raised.value), raised.value.args))
    assert len(set(answers)) == 1


# --- Changes take effect on the next call ---------------------------------------------------------


def test_redistributing_takes_the_case_away_from_the_previous_handler(matrix_world: World) -> None:
    maria, hans, hedvig = (matrix_world.member(k) for k in ("maria", "hans", "hedvig"))
    case = matrix_world.case("anna")
    assert staff_read(hans, case.pk) == case
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hedvig.pk)
    with pytest.raises(Http404):
        staff_read(hans, case.pk)
    assert not policy.cases_visible_to_staff(hans).filter(pk=case.pk).exists()
    with pytest.raises(Http404):
        actions.answer_case(staff=hans, case_id=case.pk, body="Sent svar.")
    assert staff_read(hedvig, case.pk) == case
    assert policy.cases_visible_to_staff(hedvig).filter(pk=case.pk).exists()


def test_a_handler_who_redistributes_their_own_case_loses_it(matrix_world: World) -> None:
    hans, hedvig = matrix_world.member("hans"), matrix_world.member("hedvig")
    case = matrix_world.case("anna")
    actions.distribute_case(staff=hans, case_id=case.pk, handler_id=hedvig.pk)
    with pytest.raises(Http404):
        staff_read(hans, case.pk)
    assert staff_read(hedvig, case.pk) == case


def test_the_handler_who_answered_keeps_reading_after_redistribution_but_may_not_act(
    matrix_world: World,
) -> None:
    maria, hans, hedvig = (matrix_world.member(k) for k in ("maria", "hans", "hedvig"))
    case = matrix_world.case("anna")
    actions.answer_case(staff=hans, case_id=case.pk, body="Kom in på torsdag.")
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hedvig.pk)
    assert staff_read(hans, case.pk) == case
    assert policy.cases_visible_to_staff(hans).filter(pk=case.pk).exists()
    assert outcome(lambda: actions.answer_case(staff=hans, case_id=case.pk, body="Igen.")) == "403"
    assert outcome(lambda: actions.distribute_case(staff=hans, case_id=case.pk, handler_id=hans.pk)) == "403"
    assert outcome(lambda: actions.close_case(staff=hans, case_id=case.pk)) == "403"
    # The new handler answers.
    actions.answer_case(staff=hedvig, case_id=case.pk, body="Jag tar över.")


def test_revoking_the_receiver_role_empties_the_clinic_inbox_at_once(matrix_world: World) -> None:
    maria, lena = matrix_world.member("maria"), matrix_world.member("lena")
    case = matrix_world.case("lars")
    assert policy.cases_visible_to_staff(maria).count() == 4  # Anna's, Elsa's, Oskar's, Lars's at Solna
    grant = RoleGrant.objects.in_force().get(staff=maria, role=Role.CASE_RECEIVER)
    revoke_role(lena, grant.pk)
    assert not policy.cases_visible_to_staff(maria).exists()
    for key in ("anna", "elsa", "oskar", "lars"):
        with pytest.raises(Http404):
            staff_read(maria, matrix_world.case(key).pk)
    with pytest.raises(Http404):
        actions.distribute_case(staff=maria, case_id=case.pk, handler_id=matrix_world.member("hans").pk)
    with pytest.raises(Http404):
        actions.close_case(staff=maria, case_id=case.pk)


def test_revoking_the_handler_role_takes_even_answered_cases_away(matrix_world: World) -> None:
    hans, bo = matrix_world.member("hans"), matrix_world.member("bo")
    case = matrix_world.case("anna")
    actions.answer_case(staff=hans, case_id=case.pk, body="Kom in på torsdag.")
    assert staff_read(hans, case.pk) == case
    revoke_role(bo, RoleGrant.objects.in_force().get(staff=hans, role=Role.CASE_HANDLER).pk)
    with pytest.raises(Http404):
        staff_read(hans, case.pk)
    assert not policy.cases_visible_to_staff(hans).exists()


def test_a_handler_who_is_revoked_is_no_longer_offered_for_distribution(matrix_world: World) -> None:
    maria, hedvig, bo = (matrix_world.member(k) for k in ("maria", "hedvig", "bo"))
    case = matrix_world.case("lars")
    assert hedvig in policy.handlers_at(case)
    revoke_role(bo, RoleGrant.objects.in_force().get(staff=hedvig, role=Role.CASE_HANDLER).pk)
    assert hedvig not in policy.handlers_at(case)
    with pytest.raises(ValidationError) as raised:
        actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hedvig.pk)
    assert "handler" in raised.value.message_dict


def test_the_cases_of_one_clinic_are_the_visible_cases_there(matrix_world: World) -> None:
    """policy.cases_visible_to_staff(staff, unit=…) (the clinic inbox) answers from the roles held at
    that clinic: the same cases as the general queryset narrowed to the clinic, for every staff persona
    and clinic, inside a request (grants read once) and outside, with a case assigned to one handler
    and answered by another."""
    from vardkontakt.directory.models import Unit
    from vardkontakt.roles.policy import grants_read_once

    maria, hans, hedvig = (matrix_world.member(k) for k in ("maria", "hans", "hedvig"))
    actions.answer_case(staff=hans, case_id=matrix_world.case("anna").pk, body="Kom in på torsdag.")
    actions.distribute_case(staff=maria, case_id=matrix_world.case("anna").pk, handler_id=hedvig.pk)
    actions.distribute_case(staff=maria, case_id=matrix_world.case("lars").pk, handler_id=hans.pk)
    units = list(Unit.objects.all())
    seen: dict[str, int] = {}
    for key in sorted(STAFF_KEYS):
        staff = matrix_world.member(key)
        for unit in units:
            expected = set(
                policy.cases_visible_to_staff(staff).filter(unit=unit).values_list("pk", flat=True)
            )
            assert (
                set(policy.cases_visible_to_staff(staff, unit=unit).values_list("pk", flat=True)) == expected
            )
            with grants_read_once():
                within = policy.cases_visible_to_staff(staff, unit=unit).values_list("pk", flat=True)
                assert set(within) == expected
            if expected:
                seen[key] = seen.get(key, 0) + len(expected)
    # The receivers see their clinic's cases; Hans the one assigned to him and the one he answered.
    assert seen == {"maria": 4, "olle": 1, "hans": 2, "hedvig": 1}


def test_the_rule_for_one_loaded_case_is_the_visible_cases_rule(matrix_world: World) -> None:
    """policy.staff_may_read(staff, case) (the case page's check of a case read by id) gives the same
    answer as membership of policy.cases_visible_to_staff(staff), for every staff persona and case,
    inside a request and outside, with a case assigned to one handler and answered by another."""
    from vardkontakt.roles.policy import grants_read_once

    maria, hans, hedvig = (matrix_world.member(k) for k in ("maria", "hans", "hedvig"))
    actions.answer_case(staff=hans, case_id=matrix_world.case("anna").pk, body="Kom in på torsdag.")
    actions.distribute_case(staff=maria, case_id=matrix_world.case("anna").pk, handler_id=hedvig.pk)
    cases = list(Case.objects.select_related("unit"))
    readable = 0
    for key in sorted(STAFF_KEYS):
        staff = matrix_world.member(key)
        visible = set(policy.cases_visible_to_staff(staff).values_list("pk", flat=True))
        assert {case.pk for case in cases if policy.staff_may_read(staff, case)} == visible
        with grants_read_once():
            assert {case.pk for case in cases if policy.staff_may_read(staff, case)} == visible
        readable += len(visible)
    assert readable and readable < len(cases) * len(STAFF_KEYS)  # some readable, not all


def test_the_clinic_page_statement_is_the_visible_cases_page(matrix_world: World) -> None:
    """lists.clinic_page (one compiled statement per form of the clinic inbox) gives the rows the
    visible-cases queryset gives, for every staff persona, clinic, tab, number search and cursor."""
    from vardkontakt.cases.lists import TABS, _cursor, clinic_page, filter_by_tab, page_by_activity
    from vardkontakt.cases.views_staff import CASE_ROW_FIELDS
    from vardkontakt.directory.models import Unit

    maria, hans, hedvig = (matrix_world.member(k) for k in ("maria", "hans", "hedvig"))
    actions.answer_case(staff=hans, case_id=matrix_world.case("anna").pk, body="Kom in på torsdag.")
    actions.distribute_case(staff=maria, case_id=matrix_world.case("lars").pk, handler_id=hedvig.pk)
    Case.objects.filter(pk=matrix_world.case("elsa").pk).update(promised_by=date(2020, 1, 2))
    compared = 0
    for key in sorted(STAFF_KEYS):
        staff = matrix_world.member(key)
        for unit in Unit.objects.all():
            visible = policy.cases_visible_to_staff(staff, unit=unit)
            numbers = [*visible.values_list("number", flat=True)[:1], "VK-0000-000000"]
            cursors = ["", *(_cursor(case) for case in visible.order_by("-last_activity")[:1])]
            for tab in [t.key for t in TABS]:
                for after in cursors:
                    expected = page_by_activity(
                        filter_by_tab(visible, tab).values_list(*CASE_ROW_FIELDS, named=True), after
                    )
                    actual = clinic_page(staff, unit, CASE_ROW_FIELDS, tab=tab, number="", after=after)
                    assert actual == expected
                    compared += len(expected[0])
            for number in numbers:
                expected = page_by_activity(
                    visible.filter(number=number).values_list(*CASE_ROW_FIELDS, named=True), ""
                )
                assert (
                    clinic_page(staff, unit, CASE_ROW_FIELDS, tab="nya", number=number, after="") == expected
                )
    assert compared > 0
