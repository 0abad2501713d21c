"""Blocking of a guardian: the unit manager blocks a guardian from acting for the child at the unit
(or at every unit); the child's cases there then do not exist for that guardian in proxy mode, and no
new case can be sent there in the child's name. Who may block, as a table; bad input; the page."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, policy
from vardkontakt.cases.models import Case, CaseType
from vardkontakt.cases.tests.cases_world import World, build_world, send
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.actions import block_guardian, lift_guardian_block
from vardkontakt.identity.models import GuardianBlock
from vardkontakt.identity.session import ACTING_FOR_KEY, AUTH_AT_KEY
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role

ANNA, ELSA, LARS = "19870102-2389", "20160102-2385", "19580112-2655"
PAGE = reverse("staff_cases:guardian_blocks")


@pytest.fixture
def world(demo: Demo) -> World:
    # Olle stands for "unit manager of another unit".
    grant_role_by_operator(demo.member("olle"), Role.UNIT_MANAGER, unit=demo.unit("ortopeden"))
    return build_world(demo)


def block(
    world: World, *, all_units: bool = False, valid_from: date | None = None, valid_until: date | None = None
) -> GuardianBlock:
    return block_guardian(
        staff=world.member("vera"),
        unit_id=world.demo.unit("solna").pk,
        guardian_pnr=ANNA,
        child_pnr=ELSA,
        all_units=all_units,
        reason="Beslut efter orosanmälan.",
        valid_from=valid_from,
        valid_until=valid_until,
    )


def visible_to_anna_for_elsa(world: World) -> set[str]:
    anna, elsa = world.resident("anna"), world.resident("elsa")
    return {case.subject for case in policy.cases_of_resident(elsa, by=anna.user)}


def test_a_block_at_the_unit_hides_the_childs_cases_there_only(world: World) -> None:
    anna, elsa = world.resident("anna"), world.resident("elsa")
    at_sodermalm = send(anna.user, elsa, "sodermalm", world.demo, subject="Elsa på Södermalm")
    assert visible_to_anna_for_elsa(world) == {"Elsa har feber", "Elsa på Södermalm"}
    block(world)
    assert visible_to_anna_for_elsa(world) == {"Elsa på Södermalm"}
    # The child herself (were she to log in) and the clinic still see it.
    assert policy.cases_of_resident(elsa, by=elsa.user).count() == 2
    assert policy.cases_visible_to_staff(world.member("maria")).filter(pk=world.case("elsa").pk).exists()
    with pytest.raises(Http404):
        actions.reply_as_resident(user=anna.user, resident=elsa, case_id=world.case("elsa").pk, body="Hej")
    actions.reply_as_resident(user=anna.user, resident=elsa, case_id=at_sodermalm.pk, body="Hej")
    # No new case in the child's name at the unit; elsewhere, yes.
    with pytest.raises(ValidationError) as raised:
        send(anna.user, elsa, "solna", world.demo)
    assert raised.value.code == "unit"
    send(anna.user, elsa, "sodermalm", world.demo)
    # Anna's own cases are hers as before.
    assert policy.cases_of_resident(anna, by=anna.user).filter(pk=world.case("anna").pk).exists()


def test_a_block_at_every_unit_hides_all_the_childs_cases(world: World) -> None:
    anna, elsa = world.resident("anna"), world.resident("elsa")
    send(anna.user, elsa, "sodermalm", world.demo, subject="Elsa på Södermalm")
    block(world, all_units=True)
    assert visible_to_anna_for_elsa(world) == set()
    with pytest.raises(ValidationError):
        send(anna.user, elsa, "sodermalm", world.demo)


def test_a_block_holds_only_in_its_period_and_until_lifted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = timezone.localdate()
    future = block(world, valid_from=today + timedelta(days=3), valid_until=today + timedelta(days=5))
    assert "Elsa har feber" in visible_to_anna_for_elsa(world)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today + timedelta(days=5))
    assert "Elsa har feber" not in visible_to_anna_for_elsa(world)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today + timedelta(days=6))
    assert "Elsa har feber" in visible_to_anna_for_elsa(world)
    monkeypatch.undo()
    lasting = block(world)
    assert "Elsa har feber" not in visible_to_anna_for_elsa(world)
    lift_guardian_block(staff=world.member("vera"), block_id=lasting.pk)
    assert "Elsa har feber" in visible_to_anna_for_elsa(world)
    lasting.refresh_from_db()
    assert lasting.lifted_by == world.member("vera") and future.lifted_at is None


def test_the_decision_is_logged_and_the_reason_sealed(world: World) -> None:
    with transaction.atomic():
        decided = block(world)
    entry = AccessLogEntry.objects.get(action="guardian.block")
    assert entry.subject_id == world.resident("elsa").pk and entry.object_id == str(decided.pk)
    raw = GuardianBlock.objects.filter(pk=decided.pk).values_list("reason_sealed", flat=True).get()
    assert b"orosanm" not in bytes(raw)
    assert GuardianBlock.objects.get(pk=decided.pk).reason == "Beslut efter orosanmälan."


def outcome(action: Callable[[], object]) -> str:
    try:
        with transaction.atomic():
            action()
            transaction.set_rollback(True)
    except Http404:
        return "404"
    return "Y"


# persona -> (block at Solna, lift Solna's block)
MATRIX = {
    "vera": ("Y", "Y"),  # unit manager of Solna
    "olle": ("404", "404"),  # unit manager of another unit
    "lena": ("404", "404"),
    "maria": ("404", "404"),
    "hans": ("404", "404"),
    "greta": ("404", "404"),
    "rita": ("404", "404"),
    "nils": ("404", "404"),
}


@pytest.mark.parametrize(("persona", "expected"), MATRIX.items())
def test_who_may_block_and_lift(world: World, persona: str, expected: tuple[str, str]) -> None:
    existing = block(world)
    staff = world.member(persona)
    solna = world.demo.unit("solna")
    actual = (
        outcome(
            lambda: block_guardian(
                staff=staff,
                unit_id=solna.pk,
                guardian_pnr=ANNA,
                child_pnr=ELSA,
                all_units=False,
                reason="Skäl",
                valid_from=None,
                valid_until=None,
            )
        ),
        outcome(lambda: lift_guardian_block(staff=staff, block_id=existing.pk)),
    )
    assert actual == expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"guardian_pnr": LARS}, "guardian"),  # not Elsa's guardian
        ({"guardian_pnr": ""}, "guardian"),
        ({"child_pnr": "20160102-2386"}, "child"),  # wrong check digit
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"valid_from": date(2020, 1, 1)}, "valid_from"),
        ({"valid_until": date(2020, 1, 1)}, "valid_until"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    world: World, changes: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "staff": world.member("vera"),
        "unit_id": world.demo.unit("solna").pk,
        "guardian_pnr": ANNA,
        "child_pnr": ELSA,
        "all_units": False,
        "reason": "Skäl",
        "valid_from": None,
        "valid_until": None,
        **changes,
    }
    with pytest.raises(ValidationError) as raised:
        block_guardian(**arguments)  # type: ignore[arg-type]
    assert field in raised.value.message_dict
    assert (
        not GuardianBlock.objects.exists()
        and not AccessLogEntry.objects.filter(action="guardian.block").exists()
    )


# --- Pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("vera", 200), ("olle", 200), ("lena", 403), ("maria", 403), ("rita", 403), ("nils", 302)],
)
def test_the_page_is_for_unit_managers(world: World, persona: str, status: int) -> None:
    assert log_in_staff(Client(), world.member(persona)).get(PAGE).status_code == status


def test_the_page_needs_a_recent_authentication(world: World) -> None:
    client = log_in_staff(Client(), world.member("vera"))
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - 3600
    session.save()
    response = client.post(
        PAGE, {"unit": str(world.demo.unit("solna").pk), "child": ELSA, "guardian": ANNA, "reason": "Skäl"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    assert not GuardianBlock.objects.exists()


def test_blocking_and_lifting_on_the_page(world: World) -> None:
    client = log_in_staff(Client(), world.member("vera"))
    solna = world.demo.unit("solna")
    response = client.post(PAGE, {"unit": str(solna.pk), "child": ELSA, "guardian": ANNA, "reason": "Skäl"})
    assert (
        response.status_code == 302
        and "2389" not in response["Location"]
        and "2385" not in response["Location"]
    )
    page = client.get(PAGE).content.decode()
    assert "Elsa" in page and "Anna" in page and ELSA not in page
    decided = GuardianBlock.objects.get()
    assert decided.unit == solna and decided.decided_by == world.member("vera")
    client.post(PAGE, {"unit": str(solna.pk), "action": "lift", "block": str(decided.pk)})
    decided.refresh_from_db()
    assert decided.lifted_at is not None


def test_bad_input_on_the_page_shows_the_error_summary(world: World) -> None:
    client = log_in_staff(Client(), world.member("vera"))
    response = client.post(
        PAGE, {"unit": str(world.demo.unit("solna").pk), "child": ELSA, "guardian": LARS, "reason": ""}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "govuk-error-summary" in body
    assert 'href="#id_guardian"' in body and 'href="#id_reason"' in body
    assert not GuardianBlock.objects.exists()


def test_another_units_manager_cannot_reach_this_units_blocks(world: World) -> None:
    decided = block(world)
    client = log_in_staff(Client(), world.member("olle"))
    assert client.get(PAGE, {"enhet": str(world.demo.unit("solna").pk)}).status_code == 404
    client.post(
        PAGE, {"unit": str(world.demo.unit("ortopeden").pk), "action": "lift", "block": str(decided.pk)}
    )
    decided.refresh_from_db()
    assert decided.lifted_at is None


def test_the_blocked_guardian_meets_404_on_the_childs_case_page(world: World) -> None:
    block(world)
    client = log_in_resident(Client(), world.resident("anna"))
    session = client.session
    session[ACTING_FOR_KEY] = str(world.resident("elsa").pk)
    session.save()
    assert client.get(reverse("cases:detail", args=[world.case("elsa").pk])).status_code == 404
    assert "Elsa har feber" not in client.get(reverse("cases:inbox")).content.decode()
    form = client.post(
        f"{reverse('cases:new')}?mottagning={world.demo.unit('solna').pk}&typ="
        f"{CaseType.objects.get(code='skicka-meddelande', unit__isnull=True).pk}",
        {
            "subject": "Ny fråga",
            "body": "Hej",
            "idempotency_key": str(uuid.uuid4()),
            "resident": str(world.resident("elsa").pk),
        },
    )
    assert "Du kan inte skicka ärenden till den här mottagningen." in form.content.decode()
    assert Case.objects.filter(subject_sealed__isnull=False).count() == len(world.cases)


def test_the_staff_home_page_links_the_unit_managers_block_page(world: World) -> None:
    link = f"{PAGE}?enhet={world.demo.unit('solna').pk}"
    assert link in log_in_staff(Client(), world.member("vera")).get("/vardpersonal/").content.decode()
    assert PAGE not in log_in_staff(Client(), world.member("lena")).get("/vardpersonal/").content.decode()
