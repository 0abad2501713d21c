"""Who gets the staff case page: everyone not entitled gets the same 404, and writes no log row."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseStatus
from vardkontakt.cases.tests.staff_helpers import page, send
from vardkontakt.conftest import Demo, log_in_staff
from vardkontakt.roles.actions import revoke_role
from vardkontakt.roles.models import Role, RoleGrant


def _reads(case: Case) -> int:
    return AccessLogEntry.objects.filter(action="case.read", object_id=str(case.pk)).count()


@pytest.mark.parametrize("member", ["lena", "olle", "hedvig", "rita", "bo"])
def test_not_entitled_members_get_404_and_no_log_row(demo: Demo, member: str) -> None:
    """Local admin, other clinic's receiver, a handler it is not assigned to, region admin, access admin."""
    case = send(demo)
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=demo.member("hans").pk)
    before = _reads(case)
    client = log_in_staff(Client(), demo.member(member))
    assert client.get(page(case)).status_code == 404
    response = client.post(page(case), {"action": "close", "avsluta-reason": "x"})
    assert response.status_code == 404
    assert _reads(case) == before
    case.refresh_from_db()
    assert case.status == CaseStatus.DISTRIBUTED


def test_wrong_and_malformed_ids_get_the_same_404(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    unknown = client.get(reverse("staff_cases:detail", args=[uuid.uuid4()]))
    malformed = client.get(reverse("staff_cases:detail", args=["19870102-2389"]))
    assert unknown.status_code == malformed.status_code == 404
    assert "19870102" not in malformed.content.decode()


def test_a_revoked_receiver_role_takes_effect_on_the_next_request(demo: Demo) -> None:
    case = send(demo)
    maria = demo.member("maria")
    # Maria also handles cases elsewhere, so she keeps a session after losing the receiver role.
    from vardkontakt.roles.actions import grant_role_by_operator

    grant_role_by_operator(maria, Role.CASE_HANDLER, unit=demo.unit("sodermalm"), reference="test")
    client = log_in_staff(Client(), maria)
    assert client.get(page(case)).status_code == 200
    grant = RoleGrant.objects.in_force().get(staff=maria, role=Role.CASE_RECEIVER, unit=demo.unit("solna"))
    revoke_role(demo.member("lena"), grant.pk)
    assert client.get(page(case)).status_code == 404
    assert client.get(reverse("staff_cases:inbox")).status_code == 403


def test_a_revoked_handler_role_takes_effect_on_the_next_request(demo: Demo) -> None:
    case = send(demo)
    hans = demo.member("hans")
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=hans.pk)
    client = log_in_staff(Client(), hans)
    assert client.get(page(case)).status_code == 200
    grant = RoleGrant.objects.in_force().get(staff=hans, role=Role.CASE_HANDLER, unit=demo.unit("solna"))
    revoke_role(demo.member("lena"), grant.pk)
    # Hans held no other role: the session ends and he is sent to log in; the case is not shown.
    response = client.get(page(case))
    assert response.status_code == 302
    assert "Hemligt" not in response.content.decode()


def test_reassignment_takes_effect_on_the_next_request(demo: Demo) -> None:
    case = send(demo)
    maria, hans, hedvig = demo.member("maria"), demo.member("hans"), demo.member("hedvig")
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hans.pk)
    client = log_in_staff(Client(), hans)
    assert client.get(page(case)).status_code == 200
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hedvig.pk)
    assert client.get(page(case)).status_code == 404
    assert client.get(reverse("staff_cases:mine")).context["cases"] == []


def test_resident_session_does_not_reach_the_staff_page(demo: Demo) -> None:
    from vardkontakt.conftest import log_in_resident

    case = send(demo)
    response = log_in_resident(Client(), demo.resident("anna")).get(page(case))
    assert response.status_code == 403
    assert "Hemligt" not in response.content.decode()
