"""The lifecycle state machine: every pair of states, and every named action from every state.

Both tables are written out by hand from the issue, not computed from ``models.TRANSITIONS``:
a unit applies (also again after a rejection or after it left), the region approves or rejects, an
approved unit is activated, an active unit asks to leave, and the region carries the request out or
the request is withdrawn / declined (back to active)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from vardkontakt.conftest import Demo
from vardkontakt.directory.models import Unit, UnitStatus
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.models import Application, Connection, ConnectionChange, Decision, Lifecycle
from vardkontakt.onboarding.tests.conftest import World, apply_for, put_in_state
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role

STATES = {
    "none": Lifecycle.NOT_APPLIED,
    "applied": Lifecycle.APPLIED,
    "approved": Lifecycle.APPROVED,
    "active": Lifecycle.ACTIVE,
    "deact_req": Lifecycle.DEACTIVATION_REQUESTED,
    "inactive": Lifecycle.INACTIVE,
    "rejected": Lifecycle.REJECTED,
}

# From the state on the left to the state above: Y allowed, - refused.
TABLE = """
from       none applied approved active deact_req inactive rejected
none       -    Y       -        -      -         -        -
applied    -    -       Y        -      -         -        Y
approved   -    -       -        Y      -         -        -
active     -    -       -        -      Y         -        -
deact_req  -    -       -        Y      -         Y        -
inactive   -    Y       -        -      -         -        -
rejected   -    Y       -        -      -         -        -
"""


def _cells() -> list[tuple[str, str, bool]]:
    lines = [line.split() for line in TABLE.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert header == list(STATES) and [row[0] for row in rows] == list(STATES)
    return [(row[0], to, mark == "Y") for row in rows for to, mark in zip(header, row[1:], strict=True)]


CELLS = _cells()


@pytest.mark.parametrize(("start", "to", "allowed"), CELLS, ids=[f"{s}->{t}" for s, t, _ in CELLS])
def test_transition_table(demo: Demo, start: str, to: str, allowed: bool) -> None:
    unit = demo.unit("vaccination")
    put_in_state(unit, STATES[start], pending=False, approved=False)
    connection = Connection.objects.get(unit=unit)
    rita = demo.member("rita")
    before_status = Unit.objects.get(pk=unit.pk).status
    if allowed:
        change = actions._transition(connection, STATES[to], by=rita, reason="Test")
        assert (change.from_state, change.to_state, change.by, change.reason) == (
            STATES[start],
            STATES[to],
            rita,
            "Test",
        )
        assert Connection.objects.get(unit=unit).state == STATES[to]
        expected_status = {"active": UnitStatus.ACTIVE, "inactive": UnitStatus.INACTIVE}.get(
            to, before_status
        )
        assert Unit.objects.get(pk=unit.pk).status == expected_status  # the directory's projection
    else:
        with pytest.raises(ValidationError):
            actions._transition(connection, STATES[to], by=rita, reason="Test")
        assert Connection.objects.get(unit=unit).state == STATES[start]
        assert not ConnectionChange.objects.filter(unit=unit).exists()
        assert Unit.objects.get(pk=unit.pk).status == before_status


def test_the_table_covers_every_state() -> None:
    assert set(STATES.values()) == set(Lifecycle.values)
    assert len(CELLS) == len(Lifecycle.values) ** 2


# --- Each named action, from each state -------------------------------------------------------------

ACTIONS = ("submit", "approve", "reject", "activate", "request_deact", "cancel_deact", "deactivate")
# The state each action leads to, and the states it may start from (Y).
ACTION_TABLE = """
from       submit approve reject activate request_deact cancel_deact deactivate
none       Y      -       -      -        -             -            -
applied    -      Y       Y      -        -             -            -
approved   -      -       -      Y        -             -            -
active     -      -       -      -        Y             -            -
deact_req  -      -       -      -        -             Y            Y
inactive   Y      -       -      -        -             -            -
rejected   Y      -       -      -        -             -            -
"""
# approve ends in "active": the approval activates the unit in the same transaction.
LEADS_TO = {
    "submit": "applied",
    "approve": "active",
    "reject": "rejected",
    "activate": "active",
    "request_deact": "deact_req",
    "cancel_deact": "active",
    "deactivate": "inactive",
}


def _action_cells() -> list[tuple[str, str, bool]]:
    lines = [line.split() for line in ACTION_TABLE.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert header == list(ACTIONS)
    return [(row[0], name, mark == "Y") for row in rows for name, mark in zip(header, row[1:], strict=True)]


ACTION_CELLS = _action_cells()


def _run(world: World, name: str, unit: Unit) -> Callable[[], object]:
    rita, vera = world.member("rita"), world.member("vera")
    pending = Application.objects.filter(unit=unit, decision=Decision.PENDING).first()
    return {
        "submit": lambda: apply_for(unit),
        "approve": lambda: actions.approve_application(rita, pending.pk if pending else None),
        "reject": lambda: actions.reject_application(rita, pending.pk if pending else None, "Inte nu"),
        "activate": lambda: actions.activate_connection(rita, unit.pk),
        "request_deact": lambda: actions.request_deactivation(vera, unit.pk, "Vi flyttar"),
        "cancel_deact": lambda: actions.cancel_deactivation(rita, unit.pk, "Vi stannar"),
        "deactivate": lambda: actions.deactivate_unit(rita, unit.pk),
    }[name]


@pytest.mark.parametrize(
    ("start", "name", "allowed"), ACTION_CELLS, ids=[f"{name}-from-{s}" for s, name, _ in ACTION_CELLS]
)
def test_each_action_from_each_state(world: World, start: str, name: str, allowed: bool) -> None:
    unit = world.unit("vaccination")
    # A pending application where the action needs one, except where a pending one would itself be
    # the reason for a refusal (an application is refused while one is pending).
    put_in_state(unit, STATES[start], pending=name in ("approve", "reject") or start == "applied")
    grant_role_by_operator(world.member("vera"), Role.UNIT_MANAGER, unit=unit)
    history = ConnectionChange.objects.filter(unit=unit).count()
    run = _run(world, name, unit)
    if allowed:
        run()
        assert Connection.objects.get(unit=unit).state == STATES[LEADS_TO[name]]
        assert ConnectionChange.objects.filter(unit=unit).count() > history
    else:
        with pytest.raises(ValidationError):
            run()
        assert Connection.objects.get(unit=unit).state == STATES[start]
        assert ConnectionChange.objects.filter(unit=unit).count() == history


def test_a_unit_connected_before_onboarding_starts_from_its_directory_status(demo: Demo) -> None:
    """The demo seeds Solna ACTIVE without a lifecycle row: it is active, and may ask to leave."""
    solna = demo.unit("solna")
    assert not Connection.objects.filter(unit=solna).exists()
    assert actions.state_of(solna) == Lifecycle.ACTIVE
    assert actions.state_of(demo.unit("vaccination")) == Lifecycle.NOT_APPLIED
    change = actions.request_deactivation(demo.member("vera"), solna.pk, "Vi flyttar")
    assert (change.from_state, change.to_state) == (Lifecycle.ACTIVE, Lifecycle.DEACTIVATION_REQUESTED)


def test_history_records_who_when_and_why(world: World) -> None:
    unit = world.unit("vaccination")
    application = apply_for(unit)
    actions.reject_application(world.member("rita"), application.pk, "Avtalet är inte undertecknat")
    rows = list(ConnectionChange.objects.filter(unit=unit).order_by("at", "pk"))
    assert [(r.from_state, r.to_state) for r in rows] == [
        (Lifecycle.NOT_APPLIED, Lifecycle.APPLIED),
        (Lifecycle.APPLIED, Lifecycle.REJECTED),
    ]
    assert rows[0].by is None and rows[0].application == application  # the applicant has no login
    assert rows[1].by == world.member("rita") and rows[1].reason == "Avtalet är inte undertecknat"
    assert rows[0].at <= rows[1].at
