""" "Mina mottagningar" and the clinic's individual approval of residents for contact.

Who may approve (actions.approve_resident / withdraw_approval, and the page staff_cases:approved_residents)
as a table: the local administrator of the clinic only. Olle is made local administrator of the
orthopaedic clinic here, to stand for "local administrator of another clinic"."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions
from vardkontakt.cases.models import MyClinic, MyClinicKind
from vardkontakt.cases.tests.cases_world import send
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role

LARS = "195801122655"


@pytest.fixture
def world(demo: Demo) -> Demo:
    grant_role_by_operator(demo.member("olle"), Role.LOCAL_ADMIN, unit=demo.unit("ortopeden"))
    return demo


def outcome(action: Callable[[], object]) -> str:
    try:
        with transaction.atomic():
            action()
            transaction.set_rollback(True)
    except Http404:
        return "404"
    return "Y"


# persona -> (approve at Solna, withdraw Solna's approval of Anna)
APPROVAL_MATRIX = {
    "lena": ("Y", "Y"),  # local admin of Solna
    "olle": ("404", "404"),  # local admin of another clinic
    "maria": ("404", "404"),  # case receiver at Solna
    "hans": ("404", "404"),  # case handler at Solna
    "bo": ("404", "404"),  # access admin at Solna
    "vera": ("404", "404"),  # unit manager at Solna
    "rita": ("404", "404"),  # region admin
    "nils": ("404", "404"),  # no role
}


@pytest.mark.parametrize(("persona", "expected"), APPROVAL_MATRIX.items())
def test_who_may_approve_and_withdraw(world: Demo, persona: str, expected: tuple[str, str]) -> None:
    solna = world.unit("solna")
    approval = MyClinic.objects.create(
        resident=world.resident("anna"), unit=solna, kind=MyClinicKind.APPROVED
    )
    staff = world.member(persona)
    actual = (
        outcome(lambda: actions.approve_resident(staff=staff, unit_id=solna.pk, personnummer=LARS)),
        outcome(lambda: actions.withdraw_approval(staff=staff, approval_id=approval.pk)),
    )
    assert actual == expected


def test_the_other_local_admin_approves_at_their_own_clinic(world: Demo) -> None:
    link = actions.approve_resident(
        staff=world.member("olle"), unit_id=world.unit("ortopeden").pk, personnummer=LARS
    )
    assert link.unit == world.unit("ortopeden") and link.decided_by == world.member("olle")


def test_an_approval_is_logged_and_admits_the_resident(world: Demo) -> None:
    solna = world.unit("solna")
    solna.service_area_municipalities = ["0184"]
    solna.save()
    lars = world.resident("lars")  # Stockholm: outside
    assert not actions.admits(solna, lars)
    with transaction.atomic():
        link = actions.approve_resident(staff=world.member("lena"), unit_id=solna.pk, personnummer=LARS)
    assert actions.admits(solna, lars)
    entry = AccessLogEntry.objects.get(action="resident.approve")
    assert entry.subject_id == lars.pk and entry.unit_id == solna.pk and entry.object_id == str(link.pk)
    actions.withdraw_approval(staff=world.member("lena"), approval_id=link.pk)
    assert not actions.admits(solna, lars)
    assert AccessLogEntry.objects.filter(action="resident.approval_withdrawn", subject_id=lars.pk).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Ange ett personnummer."),
        ("19580112-2656", "Personnumret har fel kontrollsiffra."),
        ("x" * 20, "Personnumret ska skrivas som"),
        ("194501103297", "Personen är avliden."),  # Gösta
    ],
)
def test_bad_personnummer_is_refused_and_nothing_is_written(world: Demo, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        actions.approve_resident(
            staff=world.member("lena"), unit_id=world.unit("solna").pk, personnummer=value
        )
    assert message in " ".join(raised.value.message_dict["personnummer"])
    assert not MyClinic.objects.exists()


def test_approving_twice_says_so_and_keeps_one(world: Demo) -> None:
    lena, solna = world.member("lena"), world.unit("solna")
    actions.approve_resident(staff=lena, unit_id=solna.pk, personnummer=LARS)
    with pytest.raises(ValidationError):
        actions.approve_resident(staff=lena, unit_id=solna.pk, personnummer="19580112-2655")
    assert MyClinic.objects.filter(kind=MyClinicKind.APPROVED).count() == 1


# --- The page ---------------------------------------------------------------------------------------

PAGE = reverse("staff_cases:approved_residents")


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("lena", 200),
        ("olle", 200),
        ("maria", 403),
        ("hans", 403),
        ("vera", 403),
        ("rita", 403),
        ("nils", 302),
    ],
)
def test_the_page_is_for_local_admins(world: Demo, persona: str, status: int) -> None:
    assert log_in_staff(Client(), world.member(persona)).get(PAGE).status_code == status


def test_another_clinics_page_does_not_exist_for_you(world: Demo) -> None:
    client = log_in_staff(Client(), world.member("olle"))
    assert client.get(PAGE, {"enhet": str(world.unit("solna").pk)}).status_code == 404
    response = client.post(PAGE, {"unit": str(world.unit("solna").pk), "personnummer": LARS})
    assert response.status_code == 404 and not MyClinic.objects.exists()


def test_a_resident_is_approved_and_withdrawn_on_the_page(world: Demo) -> None:
    client = log_in_staff(Client(), world.member("lena"))
    solna = world.unit("solna")
    response = client.post(PAGE, {"unit": str(solna.pk), "personnummer": LARS})
    assert response.status_code == 302 and LARS not in response["Location"]
    page = client.get(PAGE).content.decode()
    assert "Lars" in page and "19580112-****" in page and LARS not in page
    approval = MyClinic.objects.get(kind=MyClinicKind.APPROVED)
    client.post(PAGE, {"unit": str(solna.pk), "action": "withdraw", "approval": str(approval.pk)})
    assert not MyClinic.objects.exists()


def test_bad_input_on_the_page_shows_the_error_summary(world: Demo) -> None:
    client = log_in_staff(Client(), world.member("lena"))
    response = client.post(PAGE, {"unit": str(world.unit("solna").pk), "personnummer": "123"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body and 'href="#id_personnummer"' in body
    assert not MyClinic.objects.exists()


# --- The resident's list ----------------------------------------------------------------------------


def test_sending_a_case_adds_the_clinic_once(world: Demo) -> None:
    anna = world.resident("anna")
    send(anna.user, anna, "solna", world)
    send(anna.user, anna, "solna", world)
    assert list(MyClinic.objects.values_list("unit__name", "kind")) == [("Vårdcentral Solna", "added")]


def test_the_resident_adds_and_removes_a_clinic_but_not_an_approval(world: Demo) -> None:
    anna, solna, sodermalm = world.resident("anna"), world.unit("solna"), world.unit("sodermalm")
    client = log_in_resident(Client(), anna)
    url = reverse("cases:my_clinics")
    assert client.post(url, {"action": "add", "unit": str(sodermalm.pk)}).status_code == 302
    MyClinic.objects.create(resident=anna, unit=solna, kind=MyClinicKind.APPROVED)
    page = client.get(url).content.decode()
    assert "Vårdcentral Södermalm" in page and "Mottagningen har godkänt dig för kontakt" in page
    client.post(url, {"action": "remove", "unit": str(sodermalm.pk)})
    assert client.post(url, {"action": "remove", "unit": str(solna.pk)}).status_code == 404
    assert list(MyClinic.objects.values_list("unit", "kind")) == [(solna.pk, MyClinicKind.APPROVED)]


def test_only_connected_clinics_can_be_added(world: Demo) -> None:
    anna = world.resident("anna")
    response = log_in_resident(Client(), anna).post(
        reverse("cases:my_clinics"), {"action": "add", "unit": str(world.unit("vaccination").pk)}
    )
    assert response.status_code == 400 and "govuk-error-summary" in response.content.decode()
    assert not MyClinic.objects.exists()


def test_a_resident_cannot_remove_another_residents_clinic(world: Demo) -> None:
    lars = world.resident("lars")
    MyClinic.objects.create(resident=lars, unit=world.unit("solna"), kind=MyClinicKind.ADDED)
    response = log_in_resident(Client(), world.resident("anna")).post(
        reverse("cases:my_clinics"), {"action": "remove", "unit": str(world.unit("solna").pk)}
    )
    assert response.status_code == 404 and MyClinic.objects.filter(resident=lars).exists()


def test_my_clinics_through_the_api(world: Demo) -> None:
    anna = world.resident("anna")
    send(anna.user, anna, "solna", world)
    client = log_in_resident(Client(), world.resident("anna"))
    solna, sodermalm = world.unit("solna"), world.unit("sodermalm")
    listed = client.get("/api/v1/cases/my-clinics").json()
    assert [(c["unit"]["name"], c["kinds"]) for c in listed] == [("Vårdcentral Solna", ["added"])]
    added = client.post(
        "/api/v1/cases/my-clinics", {"unit_id": str(sodermalm.pk)}, content_type="application/json"
    )
    assert added.status_code == 201 and added.json()["kinds"] == ["added"]
    bad = client.post(
        "/api/v1/cases/my-clinics",
        {"unit_id": str(world.unit("vaccination").pk)},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "unit_id"
    assert client.delete(f"/api/v1/cases/my-clinics/{solna.pk}").status_code == 204
    assert [c["unit"]["name"] for c in client.get("/api/v1/cases/my-clinics").json()] == [
        "Vårdcentral Södermalm"
    ]
    # Another resident's list is their own; removing what is not on it is a 404.
    lars = log_in_resident(Client(), world.resident("lars"))
    assert lars.delete(f"/api/v1/cases/my-clinics/{sodermalm.pk}").status_code == 404
    # The units list puts my clinics first.
    units = client.get("/api/v1/cases/units").json()
    assert units[0]["name"] == "Vårdcentral Södermalm"
