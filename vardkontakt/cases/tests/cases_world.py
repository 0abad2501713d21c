"""Shared set-up for the case security tests (access matrix, access log, sealing, transitions).

Not a conftest, so that its names cannot clash with the fixtures of other test files in this folder:
each test module builds its own fixture from ``build_world``.

The world: the demo region, and four cases sent through ``actions.send_case`` (Anna's own at
Vårdcentral Solna, Elsa's sent by Anna acting for her, Oskar's (14) sent by himself, Lars's at Solna)
plus one at the orthopaedic clinic (Lars's). Anna's case is distributed by Maria to Hans.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.test import RequestFactory

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseType, Message, StatusChange
from vardkontakt.conftest import Demo
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import acting_resident
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.identity.policy import can_act_for
from vardkontakt.identity.session import ACTING_FOR_KEY

SUBJECT_ANNA = "Ont i knät sedan i somras"
BODY_ANNA = "Jag har haft ont i höger knä i tre månader och undrar om jag behöver komma in."


def case_type(code: str = "skicka-meddelande") -> CaseType:
    return CaseType.objects.get(code=code, unit__isnull=True)


def send(
    user: User,
    resident: Resident,
    unit: Unit | str,
    demo: Demo,
    *,
    subject: str = "Ett ärende",
    body: str = "Hej, jag undrar över en sak.",
    code: str = "skicka-meddelande",
    answers: dict[str, object] | None = None,
) -> Case:
    if isinstance(unit, str):
        unit = demo.unit(unit)
    return actions.send_case(
        user=user,
        resident=resident,
        unit=unit,
        case_type=case_type(code),
        subject=subject,
        body=body,
        answers=dict(answers or {}),
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )


def acting(resident: Resident, child: Resident | None = None) -> Resident:
    """Whom ``resident`` acts as on the next request after choosing ``child`` (the real
    ``identity.access.acting_resident``, on a request with that session)."""
    request = RequestFactory().get("/")
    request.user = resident.user
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    if child is not None:
        request.session[ACTING_FOR_KEY] = str(child.pk)
    return acting_resident(request)


def staff_read(staff: Staff, case_id: object) -> Case:
    """A staff read in its own transaction, as a page would do it."""
    with transaction.atomic():
        return actions.open_case_for_staff(staff, case_id)


def row_counts() -> tuple[int, int, int]:
    return Case.objects.count(), Message.objects.count(), StatusChange.objects.count()


@dataclass
class World:
    demo: Demo
    cases: dict[str, Case]

    def case(self, key: str) -> Case:
        return self.cases[key]

    def member(self, key: str) -> Staff:
        return self.demo.member(key)

    def resident(self, key: str) -> Resident:
        return self.demo.resident(key)


def build_world(demo: Demo) -> World:
    anna, elsa, oskar, lars = (demo.resident(k) for k in ("anna", "elsa", "oskar", "lars"))
    # Preconditions of the whole matrix: Elsa is under 13, Oskar is not.
    assert can_act_for(anna, elsa)
    assert not can_act_for(anna, oskar)
    cases = {
        "anna": send(anna.user, anna, "solna", demo, subject=SUBJECT_ANNA, body=BODY_ANNA),
        "elsa": send(anna.user, elsa, "solna", demo, subject="Elsa har feber"),
        "oskar": send(oskar.user, oskar, "solna", demo, subject="Oskars fråga"),
        "lars": send(lars.user, lars, "solna", demo, subject="Lars fråga"),
        "ortho": send(lars.user, lars, "ortopeden", demo, subject="Min höft"),
    }
    actions.distribute_case(
        staff=demo.member("maria"), case_id=cases["anna"].pk, handler_id=demo.member("hans").pk
    )
    for case in cases.values():
        case.refresh_from_db()
    return World(demo=demo, cases=cases)
