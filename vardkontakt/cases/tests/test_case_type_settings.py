"""A clinic's case types, by its local administrator: central types on and off, its own types created
and edited, restricted types handed to named residents until a date. Who may do what, as a table;
bad input; and what residents then see and may send."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, policy
from vardkontakt.cases.actions import CaseTypeSpec, Question
from vardkontakt.cases.models import Case, CaseType, CaseTypeGrant, UnitCaseType
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role

ANNA = "19870102-2389"
SPEC = CaseTypeSpec(
    name="Fråga om provsvar",
    description="Fråga om ett provsvar du har fått.",
    questions=(
        Question(label="Vilket prov?", kind="text", required=True),
        Question(label="Har du fått svaret per brev?", kind="yesno"),
        Question(label="Hur vill du bli kontaktad?", kind="choice", choices=("Telefon", "Meddelande")),
        Question(label="När togs provet?", kind="date"),
    ),
    terms="Svar inom fem arbetsdagar.",
    answer_days=5,
    answer_options=("Provet är normalt", "Vi ringer dig"),
    standard_replies=("Hej!\nDitt prov är utan anmärkning.", "Vänligen boka en tid."),
    resident_may_reply=False,
)


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


def central(code: str = "fornya-recept") -> CaseType:
    return CaseType.objects.get(code=code, unit__isnull=True)


def local_type(demo: Demo, *, restricted: bool = False) -> CaseType:
    spec = CaseTypeSpec(name="Eget", restricted=restricted)
    return actions.save_local_case_type(staff=demo.member("lena"), unit_id=demo.unit("solna").pk, spec=spec)


# persona -> deactivate a central type at Solna, create a type at Solna, edit Solna's type, hand
# Solna's restricted type to Anna.
MATRIX = {
    "lena": ("Y", "Y", "Y", "Y"),
    "olle": ("404", "404", "404", "404"),  # local admin of the orthopaedic clinic
    "maria": ("404", "404", "404", "404"),
    "hans": ("404", "404", "404", "404"),
    "bo": ("404", "404", "404", "404"),
    "vera": ("404", "404", "404", "404"),
    "rita": ("404", "404", "404", "404"),
    "nils": ("404", "404", "404", "404"),
}


@pytest.mark.parametrize(("persona", "expected"), MATRIX.items())
def test_who_may_change_a_clinics_case_types(world: Demo, persona: str, expected: tuple[str, ...]) -> None:
    solna = world.unit("solna")
    own = local_type(world, restricted=True)
    staff = world.member(persona)
    until = timezone.localdate() + timedelta(days=30)
    actual = (
        outcome(
            lambda: actions.set_case_type_active(
                staff=staff, unit_id=solna.pk, case_type_id=central().pk, active=False
            )
        ),
        outcome(lambda: actions.save_local_case_type(staff=staff, unit_id=solna.pk, spec=SPEC)),
        outcome(
            lambda: actions.save_local_case_type(
                staff=staff, unit_id=solna.pk, spec=SPEC, case_type_id=own.pk
            )
        ),
        outcome(
            lambda: actions.hand_case_type(staff=staff, case_type_id=own.pk, personnummer=ANNA, until=until)
        ),
    )
    assert actual == expected


def test_a_local_admin_cannot_reach_another_clinics_type_through_their_own_clinic(world: Demo) -> None:
    own = local_type(world)
    olle, ortho = world.member("olle"), world.unit("ortopeden")
    with pytest.raises(Http404):
        actions.set_case_type_active(staff=olle, unit_id=ortho.pk, case_type_id=own.pk, active=True)
    with pytest.raises(Http404):
        actions.save_local_case_type(staff=olle, unit_id=ortho.pk, spec=SPEC, case_type_id=own.pk)
    assert not UnitCaseType.objects.filter(unit=ortho, case_type=own).exists()


def test_deactivating_a_central_type_takes_it_from_residents(world: Demo) -> None:
    solna, anna = world.unit("solna"), world.resident("anna")
    assert central() in policy.case_types_for(solna, anna)
    actions.set_case_type_active(
        staff=world.member("lena"), unit_id=solna.pk, case_type_id=central().pk, active=False
    )
    assert central() not in policy.case_types_for(solna, anna)
    assert central() in policy.case_types_for(world.unit("sodermalm"), anna)


def test_a_local_type_is_stored_as_written_and_active_at_once(world: Demo) -> None:
    solna = world.unit("solna")
    created = actions.save_local_case_type(staff=world.member("lena"), unit_id=solna.pk, spec=SPEC)
    created.refresh_from_db()
    assert created.unit == solna and created.answer_days == 5 and not created.resident_may_reply
    keys = [q["key"] for q in created.form]
    assert len(set(keys)) == 4
    assert created.form[2] == {
        "key": keys[2],
        "label": "Hur vill du bli kontaktad?",
        "kind": "choice",
        "required": False,
        "choices": ["Telefon", "Meddelande"],
    }
    assert created.answer_options == ["Provet är normalt", "Vi ringer dig"]
    assert created.standard_replies == ["Hej!\nDitt prov är utan anmärkning.", "Vänligen boka en tid."]
    assert created in policy.case_types_for(solna, world.resident("anna"))
    assert created not in policy.case_types_for(world.unit("sodermalm"), world.resident("anna"))


def test_editing_keeps_the_keys_of_questions_that_stay(world: Demo) -> None:
    lena, solna = world.member("lena"), world.unit("solna")
    created = actions.save_local_case_type(staff=lena, unit_id=solna.pk, spec=SPEC)
    first, _second, _third, fourth = (q["key"] for q in created.form)
    questions = (
        Question(label="När togs provet?", kind="date", key=fourth),
        Question(label="Ny fråga", kind="text", key="forged"),
        Question(label="Vilket prov? (ändrad)", kind="text", key=first),
    )
    spec = CaseTypeSpec(name=SPEC.name, questions=questions)
    edited = actions.save_local_case_type(staff=lena, unit_id=solna.pk, spec=spec, case_type_id=created.pk)
    keys = [q["key"] for q in edited.form]
    assert (keys[0], keys[2]) == (fourth, first)
    # A new question never takes a key an earlier one had (its answers would be shown under it).
    assert keys[1] not in {q["key"] for q in created.form} | {"forged"}
    assert [q["label"] for q in edited.form] == ["När togs provet?", "Ny fråga", "Vilket prov? (ändrad)"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (CaseTypeSpec(name="  "), "name"),
        (CaseTypeSpec(name="x" * 101), "name"),
        (CaseTypeSpec(name="Typ", answer_days=0), "answer_days"),
        (CaseTypeSpec(name="Typ", answer_days=31), "answer_days"),
        (CaseTypeSpec(name="Typ", answer_days=None), "answer_days"),
        (CaseTypeSpec(name="Typ", terms="x" * 5001), "terms"),
        (
            CaseTypeSpec(name="Typ", questions=(Question(label="Val", kind="choice", choices=("A",)),)),
            "question_1_choices",
        ),
        (CaseTypeSpec(name="Typ", questions=(Question(label="x" * 201),)), "question_1_label"),
        (CaseTypeSpec(name="Typ", questions=(Question(label="Fråga", kind="script"),)), "question_1_kind"),
        (CaseTypeSpec(name="Typ", answer_options=tuple(f"Svar {i}" for i in range(21))), "answer_options"),
        (CaseTypeSpec(name="Typ", standard_replies=("x" * 5001,)), "standard_replies"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world: Demo, spec: CaseTypeSpec, field: str) -> None:
    before = CaseType.objects.count(), UnitCaseType.objects.count()
    with pytest.raises(ValidationError) as raised:
        actions.save_local_case_type(staff=world.member("lena"), unit_id=world.unit("solna").pk, spec=spec)
    assert field in raised.value.message_dict
    assert (CaseType.objects.count(), UnitCaseType.objects.count()) == before


def test_two_types_of_a_clinic_cannot_share_a_name(world: Demo) -> None:
    local_type(world)
    with pytest.raises(ValidationError) as raised:
        actions.save_local_case_type(
            staff=world.member("lena"), unit_id=world.unit("solna").pk, spec=CaseTypeSpec(name="eget")
        )
    assert "name" in raised.value.message_dict


# --- Restricted types -------------------------------------------------------------------------------


def _send(demo: Demo, who: str, case_type: CaseType) -> Case:
    person = demo.resident(who)
    return actions.send_case(
        user=person.user,
        resident=person,
        unit=demo.unit("solna"),
        case_type=case_type,
        subject="Fråga",
        body="Hej",
        answers={},
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )


def test_a_restricted_type_is_only_for_the_residents_named_until_the_date(
    world: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    solna, anna, lars = world.unit("solna"), world.resident("anna"), world.resident("lars")
    restricted = local_type(world, restricted=True)
    assert restricted not in policy.case_types_for(solna, anna)
    with pytest.raises(ValidationError) as raised:
        _send(world, "anna", restricted)
    assert raised.value.code == "case_type"
    until = timezone.localdate() + timedelta(days=10)
    with transaction.atomic():
        actions.hand_case_type(
            staff=world.member("lena"), case_type_id=restricted.pk, personnummer=ANNA, until=until
        )
    assert AccessLogEntry.objects.filter(action="casetype.hand", subject_id=anna.pk).exists()
    assert restricted in policy.case_types_for(solna, anna)
    assert restricted not in policy.case_types_for(solna, lars)
    assert _send(world, "anna", restricted).case_type == restricted
    with pytest.raises(ValidationError):
        _send(world, "lars", restricted)
    assert Case.objects.count() == 1
    # The last day holds; the day after it does not.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: until)
    assert restricted in policy.case_types_for(solna, anna)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: until + timedelta(days=1))
    assert restricted not in policy.case_types_for(solna, anna)


def test_handing_a_type_refuses_a_past_date_a_missing_one_and_an_unrestricted_type(world: Demo) -> None:
    lena = world.member("lena")
    restricted = local_type(world, restricted=True)
    yesterday = timezone.localdate() - timedelta(days=1)
    for until in (yesterday, None):
        with pytest.raises(ValidationError) as raised:
            actions.hand_case_type(staff=lena, case_type_id=restricted.pk, personnummer=ANNA, until=until)
        assert "until" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        actions.hand_case_type(staff=lena, case_type_id=restricted.pk, personnummer="", until=None)
    assert set(raised.value.message_dict) == {"until", "personnummer"}
    open_type = actions.save_local_case_type(
        staff=lena, unit_id=world.unit("solna").pk, spec=CaseTypeSpec(name="Öppen")
    )
    with pytest.raises(Http404):
        actions.hand_case_type(
            staff=lena, case_type_id=open_type.pk, personnummer=ANNA, until=timezone.localdate()
        )
    assert not CaseTypeGrant.objects.exists()


def test_a_resident_not_named_gets_the_usual_refusal_on_the_pages(world: Demo) -> None:
    restricted = local_type(world, restricted=True)
    client = log_in_resident(Client(), world.resident("anna"))
    url = reverse("cases:new")
    params = {"mottagning": str(world.unit("solna").pk)}
    assert "Eget" not in client.get(url, params).content.decode()
    page = client.get(url, {**params, "typ": str(restricted.pk)}).content.decode()
    assert "Mottagningen tar inte emot den här typen av ärenden." in page
    response = client.post(
        f"{url}?mottagning={world.unit('solna').pk}&typ={restricted.pk}",
        {
            "subject": "Fråga",
            "body": "Hej",
            "idempotency_key": str(uuid.uuid4()),
            "resident": str(world.resident("anna").pk),
        },
    )
    assert "Mottagningen tar inte emot den här typen av ärenden." in response.content.decode()
    assert not Case.objects.exists()


# --- Pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("lena", 200), ("olle", 200), ("maria", 403), ("hans", 403), ("bo", 403), ("rita", 403), ("nils", 302)],
)
def test_the_types_page_is_for_local_admins(world: Demo, persona: str, status: int) -> None:
    client = log_in_staff(Client(), world.member(persona))
    assert client.get(reverse("staff_cases:types")).status_code == status
    assert client.get(reverse("staff_cases:type_new")).status_code == status


def test_another_clinics_type_pages_do_not_exist_for_you(world: Demo) -> None:
    own = local_type(world, restricted=True)
    client = log_in_staff(Client(), world.member("olle"))
    assert client.get(reverse("staff_cases:type_edit", args=[own.pk])).status_code == 404
    assert client.get(reverse("staff_cases:type_grants", args=[own.pk])).status_code == 404
    assert client.get(reverse("staff_cases:types"), {"enhet": str(world.unit("solna").pk)}).status_code == 404
    response = client.post(
        reverse("staff_cases:types"),
        {"unit": str(world.unit("ortopeden").pk), "case_type": str(own.pk), "action": "activate"},
    )
    assert response.status_code == 404


def test_a_type_is_created_and_edited_on_the_pages(world: Demo) -> None:
    client = log_in_staff(Client(), world.member("lena"))
    solna = world.unit("solna")
    data = {
        "unit": str(solna.pk),
        "name": "Sjukintyg",
        "description": "Be om ett intyg.",
        "answer_days": "3",
        "resident_may_reply": "on",
        "question_1_label": "Vilka datum?",
        "question_1_kind": "text",
        "question_1_required": "on",
        "question_2_label": "Behöver du det på engelska?",
        "question_2_kind": "yesno",
        "answer_options": "Intyget skickas per post\nBoka ett besök",
        "standard_replies": "Hej!\nHär kommer intyget.\n\nVi behöver träffa dig.",
    }
    response = client.post(reverse("staff_cases:type_new"), data)
    assert response.status_code == 302
    created = CaseType.objects.get(unit=solna, name="Sjukintyg")
    assert [{k: v for k, v in q.items() if k != "key"} for q in created.form] == [
        {"label": "Vilka datum?", "kind": "text", "required": True},
        {"label": "Behöver du det på engelska?", "kind": "yesno", "required": False},
    ]
    assert created.standard_replies == ["Hej!\nHär kommer intyget.", "Vi behöver träffa dig."]
    edit = reverse("staff_cases:type_edit", args=[created.pk])
    page = client.get(edit).content.decode()
    assert "Vilka datum?" in page and 'name="question_4_label"' in page  # two blank rows
    response = client.post(edit, {**data, "name": "", "question_1_key": created.form[0]["key"]})
    body = response.content.decode()
    assert response.status_code == 400 and "govuk-error-summary" in body and 'href="#id_name"' in body
    created.refresh_from_db()
    assert created.name == "Sjukintyg"


def test_deactivating_on_the_page(world: Demo) -> None:
    client = log_in_staff(Client(), world.member("lena"))
    solna = world.unit("solna")
    client.post(
        reverse("staff_cases:types"),
        {"unit": str(solna.pk), "case_type": str(central().pk), "action": "deactivate"},
    )
    assert not UnitCaseType.objects.get(unit=solna, case_type=central()).active
    assert "Inte aktiv" in client.get(reverse("staff_cases:types")).content.decode()


def test_handing_on_the_page_keeps_the_number_out_of_urls(world: Demo) -> None:
    restricted = local_type(world, restricted=True)
    client = log_in_staff(Client(), world.member("lena"))
    url = reverse("staff_cases:type_grants", args=[restricted.pk])
    until = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = client.post(url, {"personnummer": ANNA, "until": until})
    assert response.status_code == 302 and "2389" not in response["Location"]
    assert CaseTypeGrant.objects.get().resident == world.resident("anna")
    bad = client.post(url, {"personnummer": ANNA, "until": "2020-01-01"})
    assert bad.status_code == 400 and "Datumet har redan passerat." in bad.content.decode()
    grant = CaseTypeGrant.objects.get()
    client.post(url, {"action": "withdraw", "grant": str(grant.pk)})
    assert not CaseTypeGrant.objects.exists()


def test_the_check_of_one_type_at_sending_agrees_with_the_list_of_types(
    world: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """actions send with policy.may_choose: for every clinic, resident and type it must answer as
    membership in policy.case_types_for does (restricted, handed, expired, deactivated, outbound)."""
    restricted = local_type(world, restricted=True)
    until = timezone.localdate() + timedelta(days=10)
    with transaction.atomic():
        actions.hand_case_type(
            staff=world.member("lena"), case_type_id=restricted.pk, personnummer=ANNA, until=until
        )
    actions.set_case_type_active(
        staff=world.member("lena"), unit_id=world.unit("solna").pk, case_type_id=central().pk, active=False
    )
    types = list(CaseType.objects.all())
    assert any(t.outbound for t in types)

    def agree() -> int:
        chosen = 0
        for unit in world.units.values():
            for resident in world.residents.values():
                listed = set(policy.case_types_for(unit, resident))
                for case_type in types:
                    assert policy.may_choose(unit, resident, case_type) == (case_type in listed)
                chosen += len(listed)
        return chosen

    assert agree() > 0
    assert policy.may_choose(world.unit("solna"), world.resident("anna"), restricted)
    assert not policy.may_choose(world.unit("solna"), world.resident("anna"), central())
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: until + timedelta(days=1))
    assert not policy.may_choose(world.unit("solna"), world.resident("anna"), restricted)
    agree()
