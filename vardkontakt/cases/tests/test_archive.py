"""The resident's archive: a case moves to "Arkiverade" and back, and a new message brings it back."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case
from vardkontakt.cases.tests.cases_world import send
from vardkontakt.conftest import Demo, log_in_resident

ARCHIVED = {"visa": "arkiverade"}


@pytest.fixture
def case(demo: Demo) -> Case:
    anna = demo.resident("anna")
    return send(anna.user, anna, "solna", demo, subject="Gammal fråga om knät")


def test_archiving_moves_the_case_between_the_views(demo: Demo, case: Case) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    inbox = reverse("cases:inbox")
    assert "Gammal fråga om knät" in client.get(inbox).content.decode()
    response = client.post(reverse("cases:archive", args=[case.pk]), {"archived": "1"})
    assert response.status_code == 302
    assert "Gammal fråga om knät" not in client.get(inbox).content.decode()
    archived = client.get(inbox, ARCHIVED).content.decode()
    assert "Arkiverade ärenden" in archived and "Gammal fråga om knät" in archived
    client.post(reverse("cases:archive", args=[case.pk]), {"archived": "0"})
    assert "Gammal fråga om knät" in client.get(inbox).content.decode()
    assert "Gammal fråga om knät" not in client.get(inbox, ARCHIVED).content.decode()


def test_a_message_from_the_clinic_brings_it_back(demo: Demo, case: Case) -> None:
    anna = demo.resident("anna")
    actions.archive_case(user=anna.user, resident=anna, case_id=case.pk)
    actions.distribute_case(
        staff=demo.member("maria"),
        case_id=case.pk,
        handler_id=demo.member("hans").pk,
        interim="Vi tittar på det.",
    )
    case.refresh_from_db()
    assert not case.archived_by_resident
    actions.archive_case(user=anna.user, resident=anna, case_id=case.pk)
    actions.answer_case(staff=demo.member("hans"), case_id=case.pk, body="Kom in på torsdag.")
    case.refresh_from_db()
    assert not case.archived_by_resident


def test_distributing_without_a_message_leaves_it_archived(demo: Demo, case: Case) -> None:
    anna = demo.resident("anna")
    actions.archive_case(user=anna.user, resident=anna, case_id=case.pk)
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=demo.member("hans").pk)
    case.refresh_from_db()
    assert case.archived_by_resident


def test_the_residents_own_reply_brings_it_back(demo: Demo, case: Case) -> None:
    anna = demo.resident("anna")
    actions.archive_case(user=anna.user, resident=anna, case_id=case.pk)
    actions.reply_as_resident(user=anna.user, resident=anna, case_id=case.pk, body="En sak till.")
    case.refresh_from_db()
    assert not case.archived_by_resident


def test_another_resident_cannot_archive_it(demo: Demo, case: Case) -> None:
    lars = demo.resident("lars")
    with pytest.raises(Http404):
        actions.archive_case(user=lars.user, resident=lars, case_id=case.pk)
    response = log_in_resident(Client(), lars).post(reverse("cases:archive", args=[case.pk]))
    assert response.status_code == 404
    case.refresh_from_db()
    assert not case.archived_by_resident


def test_archiving_needs_a_post(demo: Demo, case: Case) -> None:
    client = log_in_resident(Client(), demo.resident("anna"))
    assert client.get(reverse("cases:archive", args=[case.pk])).status_code == 405
