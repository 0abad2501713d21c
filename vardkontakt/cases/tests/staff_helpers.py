"""Shared set-up for the staff page tests: cases sent the way a resident sends them."""

from __future__ import annotations

import uuid

from django.urls import reverse

from vardkontakt.cases.actions import send_case
from vardkontakt.cases.models import Case, CaseType
from vardkontakt.conftest import Demo


def send(demo: Demo, *, unit: str = "solna", resident: str = "anna", subject: str = "Ont i knät") -> Case:
    person = demo.resident(resident)
    return send_case(
        user=person.user,
        resident=person,
        unit=demo.unit(unit),
        case_type=CaseType.objects.get(code="skicka-meddelande", unit__isnull=True),
        subject=subject,
        body="Hemligt meddelande om knät",
        answers={},
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )


def page(case: Case) -> str:
    return reverse("staff_cases:detail", args=[case.pk])
