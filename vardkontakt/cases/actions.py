"""Every change to a case: each one checks policy, runs in one transaction and leaves its trail."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.cases import attachments, policy
from vardkontakt.cases.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Attachment,
    AuthorKind,
    Case,
    CaseStatus,
    CaseType,
    Message,
    StatusChange,
    UnitCaseType,
)
from vardkontakt.cases.workdays import add_working_days
from vardkontakt.directory.models import EService, Unit, UnitStatus
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.ids import first_by_id
from vardkontakt.notifications.actions import (
    notify_resident_new_message,
    notify_staff_assigned,
    notify_staff_new_case,
)

SUBJECT_MAX = 200
BODY_MAX = 10_000


def clean_text(value: str, *, field: str, maximum: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: _("Fältet får inte vara tomt.")}, code="required")
    if len(text) > maximum:
        raise ValidationError(
            {field: _("Texten är för lång: högst %(max)d tecken.") % {"max": maximum}}, code="too_long"
        )
    return text


def change_status(case: Case, to: str, by: User, reason: str = "") -> None:
    """Move ``case`` to ``to`` if the table of transitions allows it, with a history row."""
    if to not in TRANSITIONS[case.status]:
        raise ValidationError(_("Ärendet kan inte ändras så i sitt nuvarande läge."), code="transition")
    StatusChange.objects.create(case=case, from_status=case.status, to_status=to, by=by, reason=reason[:200])
    case.status = to
    case.last_activity = timezone.now()


# --- Residents --------------------------------------------------------------------------------------


def units_open_to(resident: Resident) -> QuerySet[Unit]:
    """Clinics the resident may start a case at: active, offering cases, and whose service area
    admits them (the region they live in; narrowed to some municipalities if the clinic says so)."""
    units = Unit.objects.filter(
        status=UnitStatus.ACTIVE,
        eservices__service=EService.CASES,
        eservices__active=True,
        region__code=resident.region_code,
    )
    return units.order_by("name")


def _admits(unit: Unit, resident: Resident) -> bool:
    area = unit.service_area_municipalities
    return units_open_to(resident).filter(pk=unit.pk).exists() and (
        not area or resident.municipality_code in area
    )


def case_types_at(unit: Unit) -> QuerySet[CaseType]:
    return CaseType.objects.filter(units__unit=unit, units__active=True, outbound=False).order_by("name")


def _answers(case_type: CaseType, answers: dict[str, Any]) -> dict[str, Any]:
    """The question form's answers, checked against the form: required fields, choices, kinds."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in case_type.form:
        key, kind = field["key"], field.get("kind", "text")
        value = answers.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if field.get("required"):
                errors[f"q_{key}"] = _("Svara på frågan.")
            continue
        if kind == "choice" and value not in field.get("choices", []):
            errors[f"q_{key}"] = _("Välj ett av alternativen.")
        elif kind == "yesno" and value not in ("ja", "nej"):
            errors[f"q_{key}"] = _("Svara ja eller nej.")
        elif kind == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[f"q_{key}"] = _("Skriv datumet som ÅÅÅÅ-MM-DD.")
        elif kind == "text" and len(str(value)) > 2000:
            errors[f"q_{key}"] = _("Svaret är för långt: högst 2000 tecken.")
        cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def new_case_number() -> str:
    return f"{timezone.localdate().year}-{secrets.randbelow(10**7):07d}"


def send_case(
    *,
    user: User,
    resident: Resident,
    unit: Unit,
    case_type: CaseType,
    subject: str,
    body: str,
    answers: dict[str, Any],
    accepted_terms: bool,
    idempotency_key: uuid.UUID,
    files: Sequence[File[Any]] | None = None,
) -> Case:
    """A resident (or a guardian for ``resident``) sends a new case. A repeated submit with the same
    idempotency key returns the case the first one created, and creates nothing. ``files`` are
    attached to the first message (cases/attachments.py): all of them, or, if one is refused, none
    and no case."""
    existing = Case.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if not _admits(unit, resident):
        raise ValidationError(_("Du kan inte skicka ärenden till den här mottagningen."), code="unit")
    if not case_types_at(unit).filter(pk=case_type.pk).exists():
        raise ValidationError(_("Mottagningen tar inte emot den här typen av ärenden."), code="case_type")
    errors: dict[str, Any] = {}
    try:
        subject = clean_text(subject, field="subject", maximum=SUBJECT_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        body = clean_text(body, field="body", maximum=BODY_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned = _answers(case_type, answers)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if case_type.terms and not accepted_terms:
        errors["accept_terms"] = [_("Du behöver godkänna villkoren för att skicka ärendet.")]
    checked: list[attachments.Checked] = []
    try:
        checked = attachments.check(list(files or []))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    # Scanned only once everything else is right, and before the transaction: no lock waits on clamd.
    checked = attachments.scan(checked)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case(
                    number=new_case_number(),
                    unit=unit,
                    resident=resident,
                    case_type=case_type,
                    created_by=user,
                    by_guardian=user.pk != resident.user_id,
                    promised_by=add_working_days(timezone.localdate(), case_type.answer_days),
                    resident_may_reply=case_type.resident_may_reply,
                    idempotency_key=idempotency_key,
                )
                case.subject = subject
                case.answers = json.dumps(cleaned, ensure_ascii=False)
                case.save()
                message = Message(case=case, author=user, author_kind=AuthorKind.RESIDENT)
                message.body = body
                message.save()
                attachments.store(message, checked)
                StatusChange.objects.create(case=case, to_status=CaseStatus.SENT, by=user)
                notify_staff_new_case(case)
                return case
        except IntegrityError:
            # The same submit raced in (idempotency key), or the random case number was taken.
            existing = Case.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate a case number")


def reply_as_resident(
    *,
    user: User,
    resident: Resident,
    case_id: object,
    body: str,
    files: Sequence[File[Any]] | None = None,
) -> Message:
    # Files are checked and scanned before the case is locked: no lock waits on clamd.
    checked = attachments.prepare(files)
    return _reply_as_resident(user=user, resident=resident, case_id=case_id, body=body, checked=checked)


@transaction.atomic
def _reply_as_resident(
    *, user: User, resident: Resident, case_id: object, body: str, checked: list[attachments.Checked]
) -> Message:
    case = first_by_id(policy.cases_of_resident(resident).select_for_update(), case_id)
    if case is None:
        raise Http404
    if not policy.resident_may_reply(case):
        raise ValidationError(_("Det går inte att svara i det här ärendet."), code="no_reply")
    message = Message(case=case, author=user, author_kind=AuthorKind.RESIDENT)
    message.body = clean_text(body, field="body", maximum=BODY_MAX)
    message.save()
    attachments.store(message, checked)
    case.last_activity = timezone.now()
    case.save(update_fields=["last_activity"])
    return message


@transaction.atomic
def mark_read_by_resident(case: Case) -> None:
    Message.objects.filter(case=case, author_kind=AuthorKind.STAFF, read_by_resident_at__isnull=True).update(
        read_by_resident_at=timezone.now()
    )


# --- Staff ------------------------------------------------------------------------------------------


def open_case_for_staff(staff: Staff, case_id: object, *, for_update: bool = False) -> Case:
    """The case, if ``staff`` may see it, with the read written to the access log in this transaction.
    Anyone else gets the same 404 as for an id that does not exist."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_case_for_staff must run inside the transaction of the read")
    cases = policy.cases_visible_to_staff(staff).select_related("unit", "resident", "case_type", "handler")
    if for_update:
        cases = cases.select_for_update(of=("self",))
    case = first_by_id(cases, case_id)
    if case is None:
        raise Http404
    record(
        actor=staff.user,
        acting_role=policy.acting_role(staff, case),
        action="case.read",
        object_type="Case",
        object_id=case.pk,
        unit=case.unit,
        subject=case.resident,
    )
    return case


def open_attachment_for_staff(staff: Staff, case_id: object, attachment_id: object) -> Attachment:
    """An attachment of a case ``staff`` may read, with the read of the case and of the file written to
    the access log in this transaction. Anyone else, or a file of another case: 404."""
    case = open_case_for_staff(staff, case_id)
    attachment = first_by_id(Attachment.objects.filter(message__case=case), attachment_id)
    if attachment is None:
        raise Http404
    record(
        actor=staff.user,
        acting_role=policy.acting_role(staff, case),
        action="attachment.read",
        object_type="Attachment",
        object_id=attachment.pk,
        unit=case.unit,
        subject=case.resident,
    )
    return attachment


def _staff_message(case: Case, staff: Staff, body: str, *, interim: bool = False) -> Message:
    message = Message(case=case, author=staff.user, author_kind=AuthorKind.STAFF, interim=interim)
    message.body = clean_text(body, field="body", maximum=BODY_MAX)
    message.save()
    return message


@transaction.atomic
def distribute_case(*, staff: Staff, case_id: object, handler_id: object, interim: str = "") -> Case:
    case = open_case_for_staff(staff, case_id, for_update=True)
    if not policy.can_distribute(staff, case):
        raise PermissionDenied(_("Du får inte fördela det här ärendet."))
    handler = first_by_id(policy.handlers_at(case), handler_id)
    if handler is None:
        raise ValidationError({"handler": [_("Välj en ärendehanterare på mottagningen.")]})
    if interim.strip():
        _staff_message(case, staff, interim, interim=True)
        notify_resident_new_message(case.resident)
    change_status(case, CaseStatus.INTERIM if interim.strip() else CaseStatus.DISTRIBUTED, staff.user)
    case.handler = handler
    case.save(update_fields=["handler", "status", "last_activity"])
    notify_staff_assigned(case)
    return case


def answer_case(
    *,
    staff: Staff,
    case_id: object,
    body: str,
    signature: str = "",
    close: bool = False,
    files: Sequence[File[Any]] | None = None,
) -> Case:
    """The assigned handler answers; ``signature`` goes below the answer (an empty answer is refused
    whatever the signature)."""
    text = clean_text(body, field="body", maximum=BODY_MAX)
    if signature.strip():
        text = f"{text}\n\n{signature.strip()}"
    # Files are checked and scanned before the case is locked: no lock waits on clamd.
    checked = attachments.prepare(files)
    return _answer_case(staff=staff, case_id=case_id, body=text, close=close, checked=checked)


@transaction.atomic
def _answer_case(
    *, staff: Staff, case_id: object, body: str, close: bool, checked: list[attachments.Checked]
) -> Case:
    case = open_case_for_staff(staff, case_id, for_update=True)
    if not policy.can_answer(staff, case):
        raise PermissionDenied(_("Bara den som ärendet är fördelat till kan svara."))
    message = _staff_message(case, staff, body)
    attachments.store(message, checked)
    change_status(case, CaseStatus.ANSWERED, staff.user)
    case.answered_by = staff
    if close:
        change_status(case, CaseStatus.CLOSED, staff.user)
    case.save(update_fields=["answered_by", "status", "last_activity"])
    notify_resident_new_message(case.resident)
    return case


@transaction.atomic
def close_case(*, staff: Staff, case_id: object, reason: str = "") -> Case:
    case = open_case_for_staff(staff, case_id, for_update=True)
    if not policy.can_close(staff, case):
        raise PermissionDenied(_("Du får inte avsluta det här ärendet."))
    change_status(case, CaseStatus.CLOSED, staff.user, reason)
    case.save(update_fields=["status", "last_activity"])
    return case


def open_cases(unit: Unit) -> dict[str, int]:
    """What keeps a clinic from leaving: cases not distributed, not answered, or not closed."""
    cases = Case.objects.filter(unit=unit, status__in=OPEN_STATUSES)
    return {
        "undistributed": cases.filter(status=CaseStatus.SENT).count(),
        "unanswered": cases.filter(status__in=[CaseStatus.DISTRIBUTED, CaseStatus.INTERIM]).count(),
        "not_closed": cases.filter(status=CaseStatus.ANSWERED).count(),
    }


@transaction.atomic
def activate_case_type(unit: Unit, case_type: CaseType, active: bool = True) -> UnitCaseType:
    link, _created = UnitCaseType.objects.update_or_create(
        unit=unit, case_type=case_type, defaults={"active": active}
    )
    return link
