"""Fixed answer options: the handler picks one of the case type's options, and its text opens the
answer the resident reads."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseStatus, Message
from vardkontakt.cases.tests.staff_helpers import page, send
from vardkontakt.conftest import Demo, log_in_staff

OPTIONS = ["Receptet är förnyat", "Boka en tid för uppföljning"]


@pytest.fixture
def assigned(demo: Demo) -> Case:
    case = send(demo)
    case.case_type.answer_options = OPTIONS
    case.case_type.save()
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=demo.member("hans").pk)
    return case


def staff_answer(case: Case) -> Message:
    return case.messages.filter(author_kind="staff").get()


def test_the_chosen_option_opens_the_answer(demo: Demo, assigned: Case) -> None:
    actions.answer_case(
        staff=demo.member("hans"),
        case_id=assigned.pk,
        body="Hämta ut på apoteket.",
        option=0,
        signature="Hans",
    )
    assert staff_answer(assigned).body == "Receptet är förnyat\n\nHämta ut på apoteket.\n\nHans"


def test_an_option_alone_is_an_answer(demo: Demo, assigned: Case) -> None:
    actions.answer_case(staff=demo.member("hans"), case_id=assigned.pk, body="  ", option=1)
    assert staff_answer(assigned).body == "Boka en tid för uppföljning"


@pytest.mark.parametrize("option", [2, -1, 99])
def test_an_option_the_type_does_not_have_is_refused(demo: Demo, assigned: Case, option: int) -> None:
    with pytest.raises(ValidationError) as raised:
        actions.answer_case(staff=demo.member("hans"), case_id=assigned.pk, body="Svar", option=option)
    assert "option" in raised.value.message_dict
    assigned.refresh_from_db()
    assert (
        assigned.status == CaseStatus.DISTRIBUTED
        and not assigned.messages.filter(author_kind="staff").exists()
    )


def test_neither_option_nor_text_is_refused(demo: Demo, assigned: Case) -> None:
    with pytest.raises(ValidationError):
        actions.answer_case(staff=demo.member("hans"), case_id=assigned.pk, body=" ", signature="Hans")


def test_the_page_offers_the_options_and_sends_the_chosen_one(demo: Demo, assigned: Case) -> None:
    client = log_in_staff(Client(), demo.member("hans"))
    body = client.get(page(assigned)).content.decode()
    assert "Fast svarsalternativ" in body and "Boka en tid för uppföljning" in body
    response = client.post(
        page(assigned), {"action": "answer", "svar-option": "1", "svar-body": "", "svar-signature": ""}
    )
    assert response.status_code == 302
    assert staff_answer(assigned).body == "Boka en tid för uppföljning"


def test_the_page_refuses_an_empty_answer_without_option(demo: Demo, assigned: Case) -> None:
    client = log_in_staff(Client(), demo.member("hans"))
    response = client.post(page(assigned), {"action": "answer", "svar-option": "", "svar-body": " "})
    assert response.status_code == 400 and "Skriv ett svar." in response.content.decode()
    assert not assigned.messages.filter(author_kind="staff").exists()
