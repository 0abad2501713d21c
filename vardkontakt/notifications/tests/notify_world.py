"""Shared set-up for the notification tests: a case sent, distributed and answered the way the
pages do it, and what to look for in everything that was sent."""

from __future__ import annotations

import uuid

from django.core import mail

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseType
from vardkontakt.conftest import Demo
from vardkontakt.identity.actions import set_notification_addresses
from vardkontakt.notifications.models import Notification

SUBJECT = "Hemlig rubrik om knät"
BODY = "Hemligt meddelande om mitt knä"
ANSWER = "Hemligt svar från doktorn"
ANNA_EMAIL = "anna@example.se"
ANNA_MOBILE = "+46701234567"


def send(demo: Demo, *, resident: str = "anna", unit: str = "solna") -> Case:
    person = demo.resident(resident)
    return actions.send_case(
        user=person.user,
        resident=person,
        unit=demo.unit(unit),
        case_type=CaseType.objects.get(code="skicka-meddelande", unit__isnull=True),
        subject=SUBJECT,
        body=BODY,
        answers={},
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )


def distribute(demo: Demo, case: Case, *, interim: str = "") -> Case:
    return actions.distribute_case(
        staff=demo.member("maria"), case_id=case.pk, handler_id=demo.member("hans").pk, interim=interim
    )


def answer(demo: Demo, case: Case) -> Case:
    return actions.answer_case(staff=demo.member("hans"), case_id=case.pk, body=ANSWER)


def give_anna_addresses(demo: Demo, *, email: str = ANNA_EMAIL, mobile: str = "") -> None:
    set_notification_addresses(demo.resident("anna"), email=email, mobile=mobile)
    demo.resident("anna").refresh_from_db()


def forbidden_words(demo: Demo, case: Case) -> list[str]:
    anna = demo.resident("anna")
    return [
        SUBJECT,
        BODY,
        ANSWER,
        "knä",
        case.number,
        anna.personnummer,
        anna.personnummer[2:],
        anna.given_name,
        anna.family_name,
    ]


def everything_sent(log_text: str = "") -> str:
    """Every e-mail, every log line, and every outbox row's clear columns, as one text."""
    parts = [log_text]
    for message in mail.outbox:
        parts += [str(message.subject), str(message.body), str(message.extra_headers)]
    for row in Notification.objects.all():
        parts += [row.kind, row.language, row.last_error, row.channel]
    return "\n".join(parts)
