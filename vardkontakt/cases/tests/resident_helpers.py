"""Shared set-up for the resident page tests: cases made through the actions, as the pages would."""

from __future__ import annotations

import uuid
from typing import Any

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseType
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Resident, User


def case_type(code: str) -> CaseType:
    return CaseType.objects.get(code=code, unit__isnull=True)


def send(
    resident: Resident,
    unit: Unit,
    *,
    subject: str = "Ont i ryggen",
    body: str = "Jag har haft ont i två veckor.",
    code: str = "skicka-meddelande",
    user: User | None = None,
    **answers: Any,
) -> Case:
    return actions.send_case(
        user=user or resident.user,
        resident=resident,
        unit=unit,
        case_type=case_type(code),
        subject=subject,
        body=body,
        answers=answers,
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )
