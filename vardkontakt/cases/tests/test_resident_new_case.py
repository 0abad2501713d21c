"""Starting a case through the resident's pages: clinic, type, form, send. Every refusal is a clear
Swedish error and leaves nothing behind; a double submit creates one case."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseStatus, Message, UnitCaseType
from vardkontakt.cases.tests.resident_helpers import case_type
from vardkontakt.conftest import Demo, log_in_resident
from vardkontakt.directory.models import Unit, UnitStatus
from vardkontakt.identity.session import ACTING_FOR_KEY

NEW = reverse("cases:new")


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def form_url(unit_id: object, type_id: object) -> str:
    return f"{NEW}?mottagning={unit_id}&typ={type_id}"


def open_form(client: Client, unit_id: object, type_id: object) -> dict[str, str]:
    """Show the form (step 3) and return the hidden fields it carries."""
    response = client.get(form_url(unit_id, type_id))
    assert response.status_code == 200
    page = response.content.decode()
    return {name: hidden(page, name) for name in ("idempotency_key", "resident")}


def valid_data(fields: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "subject": "Förnya recept",
        "body": "Jag behöver mer Alvedon.",
        "accept_terms": "on",
        **fields,
        **extra,
    }


def test_a_resident_starts_a_case_through_the_three_steps(demo: Demo, resident_client: Client) -> None:
    solna, anna = demo.unit("solna"), demo.resident("anna")
    renew = case_type("fornya-recept")
    step1 = resident_client.get(NEW).content.decode()
    assert "Vilken mottagning vill du skriva till?" in step1
    assert f'value="{solna.pk}"' in step1
    assert f'value="{demo.unit("mammografi").pk}"' not in step1  # offers no cases
    assert f'value="{demo.unit("nacka").pk}"' not in step1  # not connected
    assert anna.personnummer not in step1
    step2 = resident_client.get(NEW, {"mottagning": str(solna.pk)}).content.decode()
    assert "Vad gäller ditt ärende?" in step2 and "Förnya recept" in step2
    assert f'value="{renew.pk}"' in step2
    step3 = resident_client.get(form_url(solna.pk, renew.pk)).content.decode()
    assert "Vilket läkemedel gäller det?" in step3 and "Tar du samma dos som tidigare?" in step3
    assert "ring 112" in step3  # the terms text
    fields = {name: hidden(step3, name) for name in ("idempotency_key", "resident")}
    response = resident_client.post(
        form_url(solna.pk, renew.pk), valid_data(fields, q_medicine="Alvedon 500 mg", q_same_dose="ja")
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.resident == anna and case.created_by == anna.user and not case.by_guardian
    assert case.unit == solna and case.case_type == renew and case.status == CaseStatus.SENT
    assert case.subject == "Förnya recept"
    assert '"medicine": "Alvedon 500 mg"' in case.answers and '"same_dose": "ja"' in case.answers
    assert case.messages.get().body == "Jag behöver mer Alvedon."
    page = resident_client.get(response["Location"]).content.decode()
    assert f"Ditt ärende {case.number} är skickat" in page
    assert "Alvedon 500 mg" in page


def test_a_double_submitted_form_creates_one_case(demo: Demo, resident_client: Client) -> None:
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    data = valid_data(open_form(resident_client, solna.pk, kind.pk))
    first = resident_client.post(form_url(solna.pk, kind.pk), data)
    second = resident_client.post(form_url(solna.pk, kind.pk), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        "clinic_deactivated",  # refused before anything is written
        "type_withdrawn",
        "empty_subject",  # refused by the form's checks
        "nothing",  # accepted, and the insert clashes with the first case's key
    ],
)
def test_a_repeated_send_returns_the_first_case_whatever_changed_since(demo: Demo, change: str) -> None:
    anna, solna, kind = demo.resident("anna"), demo.unit("solna"), case_type("skicka-meddelande")
    key = uuid.uuid4()

    def send(subject: str = "Fråga") -> Case:
        return actions.send_case(
            user=anna.user,
            resident=anna,
            unit=solna,
            case_type=kind,
            subject=subject,
            body="Hej",
            answers={},
            accepted_terms=True,
            idempotency_key=key,
        )

    first = send()
    if change == "clinic_deactivated":
        Unit.objects.filter(pk=solna.pk).update(status=UnitStatus.INACTIVE)
    elif change == "type_withdrawn":
        UnitCaseType.objects.filter(unit=solna, case_type=kind).update(active=False)
    again = send("" if change == "empty_subject" else "Fråga")
    assert again.pk == first.pk
    assert Case.objects.count() == 1 and Message.objects.count() == 1
    # A new key is refused as usual, and still creates nothing.
    if change != "nothing":
        key = uuid.uuid4()
        with pytest.raises(ValidationError):
            send("" if change == "empty_subject" else "Fråga")
        assert Case.objects.count() == 1


def test_each_showing_of_the_form_has_its_own_key(demo: Demo, resident_client: Client) -> None:
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    for _ in range(2):
        resident_client.post(
            form_url(solna.pk, kind.pk), valid_data(open_form(resident_client, solna.pk, kind.pk))
        )
    assert Case.objects.count() == 2


SOLNA_ERRORS = [
    ("skicka-meddelande", {"subject": ""}, "Fältet får inte vara tomt."),
    ("skicka-meddelande", {"subject": "   "}, "Fältet får inte vara tomt."),
    ("skicka-meddelande", {"subject": "x" * 201}, "Texten är för lång: högst 200 tecken."),
    ("skicka-meddelande", {"body": ""}, "Fältet får inte vara tomt."),
    ("skicka-meddelande", {"body": "x" * 10_001}, "Texten är för lång: högst 10000 tecken."),
    ("skicka-meddelande", {"accept_terms": ""}, "Du behöver godkänna villkoren för att skicka ärendet."),
    ("fornya-recept", {"q_medicine": "", "q_same_dose": "ja"}, "Svara på frågan."),
    ("fornya-recept", {"q_medicine": "Alvedon", "q_same_dose": "kanske"}, "Svara ja eller nej."),
    (
        "av-omboka-tid",
        {"q_appointment": "Tisdag", "q_action": "Flytta till Mars"},
        "Välj ett av alternativen.",
    ),
]


@pytest.mark.parametrize(("code", "change", "message"), SOLNA_ERRORS)
def test_a_bad_form_is_refused_with_a_swedish_error_and_nothing_is_created(
    demo: Demo, resident_client: Client, code: str, change: dict[str, str], message: str
) -> None:
    solna, kind = demo.unit("solna"), case_type(code)
    data = valid_data(open_form(resident_client, solna.pk, kind.pk), **change)
    if data["accept_terms"] == "":
        del data["accept_terms"]
    response = resident_client.post(form_url(solna.pk, kind.pk), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Det finns ett problem" in page and page.count(message) >= 2  # summary and inline
    assert "<title>Fel:" in page
    assert not Case.objects.exists() and not Message.objects.exists()
    # The form keeps what was typed and its key, so that correcting it sends one case.
    assert f'value="{data["idempotency_key"]}"' in page


def test_a_clinic_outside_the_residents_region_is_refused(demo: Demo) -> None:
    per = log_in_resident(Client(), demo.resident("per"))  # lives in Malmö
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    assert f'value="{solna.pk}"' not in per.get(NEW).content.decode()
    shown = per.get(form_url(solna.pk, kind.pk)).content.decode()
    assert "Du kan inte skicka ärenden till den här mottagningen." in shown
    fields = {"idempotency_key": str(uuid.uuid4()), "resident": str(demo.resident("per").pk)}
    page = per.post(form_url(solna.pk, kind.pk), valid_data(fields)).content.decode()
    assert "Det finns ett problem" in page
    assert "Du kan inte skicka ärenden till den här mottagningen." in page
    assert not Case.objects.exists()


def test_a_clinic_outside_its_service_area_is_refused(demo: Demo, resident_client: Client) -> None:
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    data = valid_data(open_form(resident_client, solna.pk, kind.pk))
    solna.service_area_municipalities = ["0180"]  # Stockholm only; Anna lives in Solna
    solna.save()
    page = resident_client.post(form_url(solna.pk, kind.pk), data).content.decode()
    assert "Du kan inte skicka ärenden till den här mottagningen." in page
    assert not Case.objects.exists()


def test_an_inactive_clinic_is_refused(demo: Demo, resident_client: Client) -> None:
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    data = valid_data(open_form(resident_client, solna.pk, kind.pk))
    solna.status = UnitStatus.INACTIVE
    solna.save()
    assert f'value="{solna.pk}"' not in resident_client.get(NEW).content.decode()
    page = resident_client.post(form_url(solna.pk, kind.pk), data).content.decode()
    assert "Det finns ett problem" in page
    assert "Du kan inte skicka ärenden till den här mottagningen." in page
    assert not Case.objects.exists()


def test_a_type_the_clinic_does_not_offer_is_refused(demo: Demo, resident_client: Client) -> None:
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    data = valid_data(open_form(resident_client, solna.pk, kind.pk))
    UnitCaseType.objects.filter(unit=solna, case_type=kind).update(active=False)
    assert (
        f'value="{kind.pk}"' not in resident_client.get(NEW, {"mottagning": str(solna.pk)}).content.decode()
    )
    shown = resident_client.get(form_url(solna.pk, kind.pk)).content.decode()
    assert "Mottagningen tar inte emot den här typen av ärenden." in shown
    page = resident_client.post(form_url(solna.pk, kind.pk), data).content.decode()
    assert "Det finns ett problem" in page
    assert "Mottagningen tar inte emot den här typen av ärenden." in page
    assert not Case.objects.exists()


def test_malformed_or_unknown_clinic_ids_lead_back_to_step_one(demo: Demo, resident_client: Client) -> None:
    for value in ("inte-ett-id", str(uuid.uuid4()), "198701022389"):
        page = resident_client.get(NEW, {"mottagning": value}).content.decode()
        assert "Välj en mottagning." in page and "Vilken mottagning vill du skriva till?" in page


# --- Guardians -------------------------------------------------------------------------------------


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    real = timezone.localdate

    def set_today(day: date) -> None:
        monkeypatch.setattr(
            timezone,
            "localdate",
            lambda value=None, timezone=None: day if value is None else real(value, timezone),
        )

    set_today(date(2026, 12, 31))  # Elsa is 10, Leo 12 and 13 tomorrow
    return set_today


def test_a_guardian_sends_a_case_for_a_child_under_13(
    demo: Demo, resident_client: Client, today: Callable[[date], None]
) -> None:
    anna, leo = demo.resident("anna"), demo.resident("leo")
    resident_client.post(reverse("identity:act_for"), {"child": str(leo.pk)})
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    step1 = resident_client.get(NEW).content.decode()
    assert "Du agerar för Leo Andersson (12 år)." in step1
    fields = open_form(resident_client, solna.pk, kind.pk)
    assert fields["resident"] == str(leo.pk)
    response = resident_client.post(form_url(solna.pk, kind.pk), valid_data(fields))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.resident == leo and case.by_guardian and case.created_by == anna.user
    assert resident_client.get(response["Location"]).status_code == 200


def test_a_guardian_cannot_send_for_a_child_who_has_turned_13(
    demo: Demo, resident_client: Client, today: Callable[[date], None]
) -> None:
    leo = demo.resident("leo")
    resident_client.post(reverse("identity:act_for"), {"child": str(leo.pk)})
    solna, kind = demo.unit("solna"), case_type("skicka-meddelande")
    fields = open_form(resident_client, solna.pk, kind.pk)  # shown on the day before the birthday
    today(date(2027, 1, 1))
    page = resident_client.post(form_url(solna.pk, kind.pk), valid_data(fields)).content.decode()
    assert "Du kan inte längre skicka ärenden för den här personen." in page
    assert not Case.objects.exists()  # neither for Leo nor, by mistake, in Anna's own name
    assert ACTING_FOR_KEY not in resident_client.session
    # A fresh form is Anna's own.
    assert open_form(resident_client, solna.pk, kind.pk)["resident"] == str(demo.resident("anna").pk)
