"""Shared set-up for the log review tests: a clinic's access log written the way the service writes it.

The world: the demo region; Anna's case at Vårdcentral Solna and Lars's at the orthopaedic clinic,
sent through cases.actions.send_case and read by staff through cases.actions.open_case_for_staff
(which writes the rows); older rows written with audit's own model at chosen times; and a second
reviewer, Otto, reviewer at the orthopaedic clinic only (the demo has one reviewer, Greta, at Solna).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry, LogFilter, LogReview
from vardkontakt.cases import actions as case_actions
from vardkontakt.cases.models import Case, CaseType
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.actions import record_consent
from vardkontakt.identity.models import Resident, Staff, User, UserKind
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role

OTTO_HSA = "SE2321000016-O002"


def send(demo: Demo, resident: str, unit: str) -> Case:
    person = demo.resident(resident)
    return case_actions.send_case(
        user=person.user,
        resident=person,
        unit=demo.unit(unit),
        case_type=CaseType.objects.get(code="skicka-meddelande", unit__isnull=True),
        subject="Ont i knät",
        body="Hemligt meddelande om knät",
        answers={},
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )


def staff_read(staff: Staff, case: Case) -> None:
    with transaction.atomic():
        case_actions.open_case_for_staff(staff, case.pk)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def old_row(demo: Demo, *, when: datetime, staff: str, resident: str, unit: str = "solna") -> AccessLogEntry:
    """A row as open_case_for_staff writes it, at a chosen time in the past."""
    return AccessLogEntry.objects.create(
        at=when,
        actor_id=demo.member(staff).user_id,
        acting_role=Role.CASE_RECEIVER,
        unit_id=demo.unit(unit).pk,
        subject_id=demo.resident(resident).pk,
        object_type="Case",
        object_id=str(uuid.uuid4()),
        action="case.read",
    )


@dataclass
class World:
    demo: Demo
    otto: Staff
    anna_case: Case
    lars_ortho_case: Case

    def member(self, key: str) -> Staff:
        return self.otto if key == "otto" else self.demo.member(key)

    def resident(self, key: str) -> Resident:
        return self.demo.resident(key)


def build_world(demo: Demo) -> World:
    otto = Staff.objects.create(
        user=User.objects.create_user(UserKind.STAFF),
        hsa_id=OTTO_HSA,
        given_name="Otto",
        family_name="Ort",
        title="Granskare",
    )
    grant_role_by_operator(otto, Role.LOG_REVIEWER, unit=demo.unit("ortopeden"), reference="Test")
    for person in demo.residents.values():
        if person.consented_at is None:
            record_consent(person)
    anna_case = send(demo, "anna", "solna")
    lars_ortho_case = send(demo, "lars", "ortopeden")
    staff_read(demo.member("maria"), anna_case)  # Solna: Maria reads Anna's case
    staff_read(demo.member("olle"), lars_ortho_case)  # the orthopaedic clinic: Olle reads Lars's
    return World(demo, otto, anna_case, lars_ortho_case)


def client_of(world: World, persona: str) -> Client:
    client = Client()
    if persona == "nobody":
        return client
    if persona in world.demo.residents:
        return log_in_resident(client, world.resident(persona))
    return log_in_staff(client, world.member(persona))


def make_filter(
    client: Client,
    unit: Any,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    hsa: str = "",
    pnr: str = "",
) -> Any:
    today = timezone.localdate()
    return client.post(
        reverse("logreview:start"),
        {
            "unit": str(unit.pk),
            "date_from": (date_from or today).isoformat(),
            "date_to": (date_to or today).isoformat(),
            "staff_hsa_id": hsa,
            "personnummer": pnr,
        },
    )


def latest_filter(staff: Staff) -> LogFilter:
    return LogFilter.objects.filter(created_by=staff).latest("created_at")


def latest_review(staff: Staff) -> LogReview:
    return LogReview.objects.filter(drawn_by=staff).latest("drawn_at")


def stored_bytes(model: type[models.Model], pk: object, column: str) -> bytes:
    """A sealed column as the database holds it."""
    value = model._default_manager.filter(pk=pk).values_list(column, flat=True).get()
    assert value is not None
    return bytes(value)
