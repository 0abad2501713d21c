"""Every change to a case: each one checks policy, runs in one transaction and leaves its trail."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, UUIDField
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.cases import attachments, policy
from vardkontakt.cases.models import (
    TRANSITIONS,
    Attachment,
    AuthorKind,
    Case,
    CaseStatus,
    CaseType,
    CaseTypeGrant,
    Message,
    MyClinic,
    MyClinicKind,
    StatusChange,
    UnitCaseType,
    send_history,
    send_people,
)
from vardkontakt.cases.workdays import add_working_days
from vardkontakt.directory.models import EService, Unit, UnitStatus
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.identity.register import resident_by_personnummer
from vardkontakt.ids import first_by_id, parse_uuid
from vardkontakt.notifications.actions import (
    notify_resident_new_message,
    notify_staff_assigned,
    notify_staff_new_case,
)
from vardkontakt.roles.models import Role
from vardkontakt.statements import Param, Statement, Statements, pipeline

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


def _offering_cases() -> QuerySet[Unit]:
    return Unit.objects.filter(
        status=UnitStatus.ACTIVE, eservices__service=EService.CASES, eservices__active=True
    )


def _approved_unit_ids(resident: Resident | Param) -> QuerySet[MyClinic, Any]:
    """The clinics that have approved ``resident`` (a Resident or, in a Statement, a Param)."""
    return MyClinic.objects.filter(resident=resident, kind=MyClinicKind.APPROVED).values("unit_id")  # type: ignore[misc]


_UNIT = Param("unit", UUIDField())
_OFFERING_REGION = Statement(
    lambda: _offering_cases().filter(pk=_UNIT).values_list("region__code", flat=True)[:1]
)
_APPROVED_AT = Statement(
    lambda: (
        _approved_unit_ids(Param("resident", UUIDField()))
        .filter(unit_id=_UNIT)
        .values_list("pk", flat=True)[:1]
    )
)


def _in_service_area(unit: Unit, resident: Resident, age: int) -> bool:
    """The clinic's own narrowing of its service area (the region is checked by the callers'
    queries): municipalities, legal sex (from the personnummer) and age range, both ends included."""
    area = unit.service_area_municipalities
    return (
        (not area or resident.municipality_code in area)
        and (unit.service_area_min_age is None or age >= unit.service_area_min_age)
        and (unit.service_area_max_age is None or age <= unit.service_area_max_age)
        and (not unit.service_area_sex or unit.service_area_sex == resident.legal_sex)
    )


def units_open_to(resident: Resident) -> QuerySet[Unit]:
    """Clinics the resident may start a case at: active and offering cases, and either approved the
    resident individually (MyClinic APPROVED) or with a service area that admits them (``admits``).
    The resident's own clinics come first."""
    approved = set(_approved_unit_ids(resident).values_list("unit_id", flat=True))
    age = resident.age_on(timezone.localdate())
    candidates = _offering_cases().filter(Q(region__code=resident.region_code) | Q(pk__in=approved))
    fields = (
        "service_area_municipalities",
        "service_area_sex",
        "service_area_min_age",
        "service_area_max_age",
    )
    ids = [
        unit.pk
        for unit in candidates.only("pk", *fields)
        if unit.pk in approved or _in_service_area(unit, resident, age)
    ]
    mine = MyClinic.objects.filter(resident=resident, unit=OuterRef("pk"))
    # The resident's own clinics ("Mina mottagningar") first, marked ``mine``.
    return Unit.objects.filter(pk__in=ids).annotate(mine=Exists(mine)).order_by("-mine", "name")


def admits(unit: Unit, resident: Resident) -> bool:
    """May ``resident`` start a case at ``unit``? The one admission rule (the case form and the
    contact card ask it): the clinic is active and offers cases, and the resident lives in its
    region and its service area admits them, or it has approved the resident individually (asked
    only when the service area does not admit them)."""
    region_code = _OFFERING_REGION.first(unit=unit.pk)
    if region_code is None:
        return False
    if region_code == resident.region_code and _in_service_area(
        unit, resident, resident.age_on(timezone.localdate())
    ):
        return True
    return _APPROVED_AT.first(resident=resident.pk, unit=unit.pk) is not None


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


def _unit_still_takes_cases(unit: Unit) -> bool:
    """Whether ``unit`` is still active, read under a share lock held to the end of the transaction.

    A deactivation (onboarding.actions.deactivate_unit) locks the unit row for update before it
    looks for open cases, so either it waits for this case to commit and then sees it, or this
    case waits for the deactivation and then sees the unit inactive. Share locks do not block each
    other, so sends to one clinic do not queue behind each other. (SQLite runs one writer at a
    time, which gives the same order.)"""
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        # Written out: building it through the ORM cost more than running it.
        cursor.execute(
            f'SELECT "status" FROM "directory_unit" WHERE "id" = %s{lock}',  # noqa: S608 - fixed text
            [Unit._meta.pk.get_db_prep_value(unit.pk, connection)],
        )
        row = cursor.fetchone()
    return row is not None and row[0] == UnitStatus.ACTIVE


def _sent_with(user: User, idempotency_key: uuid.UUID) -> QuerySet[Case]:
    """The case ``user`` already sent with this idempotency key (at most one: a unique constraint)."""
    return Case.objects.filter(created_by=user, idempotency_key=idempotency_key)


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
    and no case.

    The key is looked up only when the send is refused or its insert clashes with the first one
    (the unique constraint on the creator and the key): a repeated submit gets the first case
    whatever has changed since, and a first submit asks one query less."""
    try:
        return _send_case(
            user=user,
            resident=resident,
            unit=unit,
            case_type=case_type,
            subject=subject,
            body=body,
            answers=answers,
            accepted_terms=accepted_terms,
            idempotency_key=idempotency_key,
            files=files,
        )
    except ValidationError:
        existing = _sent_with(user, idempotency_key).first()
        if existing is None:
            raise
        return existing


def _send_case(
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
    files: Sequence[File[Any]] | None,
) -> Case:
    if not admits(unit, resident) or policy.guardian_blocked_at(user, resident, unit):
        raise ValidationError(_("Du kan inte skicka ärenden till den här mottagningen."), code="unit")
    if not policy.may_choose(unit, resident, case_type):
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
                if not _unit_still_takes_cases(unit):
                    raise ValidationError(
                        _("Du kan inte skicka ärenden till den här mottagningen."), code="unit"
                    )
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
                # The clinic becomes one of "my clinics" (once; a repeat changes nothing).
                MyClinic.objects.bulk_create(
                    [MyClinic(resident=resident, unit=unit, kind=MyClinicKind.ADDED)], ignore_conflicts=True
                )
                notify_staff_new_case(case)
                return case
        except IntegrityError:
            # The same submit raced in (idempotency key), or the random case number was taken.
            existing = _sent_with(user, idempotency_key).first()
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
    case = first_by_id(policy.cases_of_resident(resident, by=user).select_for_update(), case_id)
    if case is None:
        raise Http404
    if not policy.resident_may_reply(case):
        raise ValidationError(_("Det går inte att svara i det här ärendet."), code="no_reply")
    message = Message(case=case, author=user, author_kind=AuthorKind.RESIDENT)
    message.body = clean_text(body, field="body", maximum=BODY_MAX)
    message.save()
    attachments.store(message, checked)
    case.last_activity = timezone.now()
    case.archived_by_resident = False  # a new message brings the case back from the archive
    case.save(update_fields=["last_activity", "archived_by_resident"])
    return message


@transaction.atomic
def mark_read_by_resident(case: Case) -> None:
    Message.objects.filter(case=case, author_kind=AuthorKind.STAFF, read_by_resident_at__isnull=True).update(
        read_by_resident_at=timezone.now()
    )


# --- Staff ------------------------------------------------------------------------------------------


def _case_query(form: tuple[bool, tuple[str, ...]]) -> QuerySet[Case]:
    """The case by id with its clinic, resident, type and handler, locked or not, all columns or
    ``only`` these (and what staff_may_read needs)."""
    for_update, only = form
    cases = Case.objects.select_related("unit", "resident", "case_type", "handler")
    if only:
        cases = cases.only(*only, "unit", "handler", "answered_by")
    if for_update:
        cases = cases.select_for_update(of=("self",))
    return cases.filter(pk=Param("id", UUIDField()))


_CASE_BY_ID: Statements[tuple[bool, tuple[str, ...]], Case] = Statements(_case_query)


def open_case_for_staff(
    staff: Staff, case_id: object, *, for_update: bool = False, only: tuple[str, ...] = ()
) -> Case:
    """The case, if ``staff`` may see it, with the read written to the access log in this transaction.
    Anyone else gets the same 404 as for an id that does not exist. ``only``: the columns the caller
    uses (of the case and, as ``unit__name``, of its clinic, resident, case type and handler), for a
    page that shows a few of them; the access-log row needs none beyond the keys."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_case_for_staff must run inside the transaction of the read")
    ident = parse_uuid(case_id)
    case = None if ident is None else _CASE_BY_ID[(for_update, only)].first(id=ident)
    if case is None or not policy.staff_may_read(staff, case):
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


@dataclass(frozen=True)
class StaffCaseView:
    """What the staff case page (and its API) shows of a case, read by ``read_case_for_staff``."""

    case: Case
    thread: list[Message]
    history: list[StatusChange]
    name_of: Callable[[object], str]  # user id -> how the staff tool names them (models.send_people)
    handlers: list[Staff]  # whom the case can be distributed to; empty unless ``staff`` may distribute


def read_case_for_staff(staff: Staff, case_id: object, *, only: tuple[str, ...] = ()) -> StaffCaseView:
    """The case (``open_case_for_staff``: 404 unless ``staff`` may read it, the read written to the
    access log) with its messages, history, the names of who took part and, if ``staff`` may
    distribute it, the clinic's case handlers, in one transaction. On PostgreSQL the reads after the
    case go in one round trip (a pipeline)."""
    with transaction.atomic():
        case = open_case_for_staff(staff, case_id, only=only)
        with pipeline():
            thread = attachments.send_thread(case)
            history = send_history(case)
            people = send_people(case)
            handlers = policy.send_handler_list(case) if policy.can_distribute(staff, case) else list
        return StaffCaseView(case, thread(), history(), people(), handlers())


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
    _bring_back(case)
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
    option: int | None = None,
) -> Case:
    """The assigned handler answers; ``signature`` goes below the answer. ``option`` picks one of the
    type's fixed answer options (by position), whose text opens the answer; then the free text may
    be empty. An answer with neither is refused whatever the signature."""
    text = body.strip()
    if option is None or text:
        text = clean_text(body, field="body", maximum=BODY_MAX)
    # Files are checked and scanned before the case is locked: no lock waits on clamd.
    checked = attachments.prepare(files)
    return _answer_case(
        staff=staff,
        case_id=case_id,
        body=text,
        signature=signature.strip(),
        option=option,
        close=close,
        checked=checked,
    )


@transaction.atomic
def _answer_case(
    *,
    staff: Staff,
    case_id: object,
    body: str,
    signature: str,
    option: int | None,
    close: bool,
    checked: list[attachments.Checked],
) -> Case:
    case = open_case_for_staff(staff, case_id, for_update=True)
    if not policy.can_answer(staff, case):
        raise PermissionDenied(_("Bara den som ärendet är fördelat till kan svara."))
    if option is not None:
        options = [str(text) for text in (case.case_type.answer_options or [])]
        if not 0 <= option < len(options):
            raise ValidationError({"option": [_("Välj ett av svarsalternativen.")]})
        body = f"{options[option]}\n\n{body}" if body else options[option]
    if signature:
        body = f"{body}\n\n{signature}"
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


# What keeps a clinic from leaving, by group: not distributed, not answered, answered but not closed.
OPEN_GROUPS: dict[str, tuple[str, ...]] = {
    "undistributed": (CaseStatus.SENT,),
    "unanswered": (CaseStatus.DISTRIBUTED, CaseStatus.INTERIM),
    "not_closed": (CaseStatus.ANSWERED,),
}


def open_cases(unit: Unit) -> dict[str, list[str]]:
    """The numbers of the clinic's open cases by group (``OPEN_GROUPS``), each list sorted; all
    empty when nothing keeps the clinic from leaving. Numbers only: no personal content."""
    groups: dict[str, list[str]] = {group: [] for group in OPEN_GROUPS}
    group_of = {status: group for group, statuses in OPEN_GROUPS.items() for status in statuses}
    rows = Case.objects.filter(unit=unit, status__in=list(group_of)).order_by("number")
    for number, status in rows.values_list("number", "status"):
        groups[group_of[status]].append(number)
    return groups


@transaction.atomic
def activate_case_type(unit: Unit, case_type: CaseType, active: bool = True) -> UnitCaseType:
    link, _created = UnitCaseType.objects.update_or_create(
        unit=unit, case_type=case_type, defaults={"active": active}
    )
    return link


# --- The resident's archive -------------------------------------------------------------------------


@transaction.atomic
def archive_case(*, user: User, resident: Resident, case_id: object, archived: bool = True) -> Case:
    """The resident (or a guardian for the child) moves a case to "Arkiverade" or back. A new message
    in the case brings it back by itself (``_bring_back``)."""
    case = first_by_id(policy.cases_of_resident(resident, by=user).select_for_update(), case_id)
    if case is None:
        raise Http404
    case.archived_by_resident = archived
    case.save(update_fields=["archived_by_resident"])
    return case


def _bring_back(case: Case) -> None:
    """A new message from the clinic: the case leaves the resident's archive (written here at once)."""
    if case.archived_by_resident:
        Case.objects.filter(pk=case.pk).update(archived_by_resident=False)
        case.archived_by_resident = False


# --- My clinics -------------------------------------------------------------------------------------


def my_clinics(resident: Resident) -> list[tuple[Unit, list[str]]]:
    """The resident's clinics by name, each with why it is there (MyClinicKind values)."""
    links = MyClinic.objects.filter(resident=resident).select_related("unit").order_by("unit__name", "kind")
    grouped: dict[Any, tuple[Unit, list[str]]] = {}
    for link in links:
        grouped.setdefault(link.unit_id, (link.unit, []))[1].append(link.kind)
    return list(grouped.values())


@transaction.atomic
def add_my_clinic(*, resident: Resident, unit_id: object, kind: str = MyClinicKind.ADDED) -> MyClinic:
    """A clinic becomes one of the resident's: added by the resident, or through an invitation or a
    booking (those apps call this with their kind). Only clinics connected to the e-services."""
    if kind not in MyClinicKind.values or kind == MyClinicKind.APPROVED:
        raise ValueError(f"not a kind a resident or a booking gives: {kind}")
    unit = first_by_id(Unit.objects.filter(status=UnitStatus.ACTIVE), unit_id)
    if unit is None:
        raise ValidationError({"unit": [_("Välj en mottagning som är ansluten till Vårdkontakt.")]})
    link, _created = MyClinic.objects.get_or_create(resident=resident, unit=unit, kind=kind)
    return link


@transaction.atomic
def remove_my_clinic(*, resident: Resident, unit_id: object) -> int:
    """The resident takes a clinic off their list. The clinic's own approval stays: only the clinic
    takes it back (``withdraw_approval``)."""
    links = MyClinic.objects.filter(resident=resident).exclude(kind=MyClinicKind.APPROVED)
    unit = first_by_id(Unit.objects.filter(pk__in=links.values("unit_id")), unit_id)
    if unit is None:
        raise Http404
    removed, _detail = links.filter(unit=unit).delete()
    return removed


# --- Clinic settings (LOCAL_ADMIN): residents approved for contact, case types ----------------------


def _settings_unit(staff: Staff, unit_id: object) -> Unit:
    unit = first_by_id(policy.units_for_case_settings(staff), unit_id)
    if unit is None:
        raise Http404
    return unit


def _resident_for(personnummer: str, field: str) -> Resident:
    try:
        resident = resident_by_personnummer(personnummer)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    if resident is None:
        raise ValidationError({field: [_("Personen finns inte i folkbokföringen.")]})
    if resident.deceased:
        raise ValidationError({field: [_("Personen är avliden.")]})
    return resident


@transaction.atomic
def approve_resident(*, staff: Staff, unit_id: object, personnummer: str) -> MyClinic:
    """The clinic approves one resident individually for contact: the clinic is then among the
    resident's clinics and admits them even outside its service area. Written to the access log."""
    unit = _settings_unit(staff, unit_id)
    resident = _resident_for(personnummer, "personnummer")
    link, created = MyClinic.objects.get_or_create(
        resident=resident, unit=unit, kind=MyClinicKind.APPROVED, defaults={"decided_by": staff}
    )
    if not created:
        raise ValidationError({"personnummer": [_("Personen är redan godkänd av mottagningen.")]})
    record(
        actor=staff.user,
        acting_role=Role.LOCAL_ADMIN,
        action="resident.approve",
        object_type="MyClinic",
        object_id=link.pk,
        unit=unit,
        subject=resident,
    )
    return link


@transaction.atomic
def withdraw_approval(*, staff: Staff, approval_id: object) -> None:
    approvals = MyClinic.objects.filter(
        kind=MyClinicKind.APPROVED, unit__in=policy.units_for_case_settings(staff).values("id")
    )
    link = first_by_id(approvals.select_related("unit", "resident"), approval_id)
    if link is None:
        raise Http404
    record(
        actor=staff.user,
        acting_role=Role.LOCAL_ADMIN,
        action="resident.approval_withdrawn",
        object_type="MyClinic",
        object_id=link.pk,
        unit=link.unit,
        subject=link.resident,
    )
    link.delete()


@transaction.atomic
def set_case_type_active(
    *, staff: Staff, unit_id: object, case_type_id: object, active: bool
) -> UnitCaseType:
    """The clinic's local administrator turns a central type, or one of the clinic's own, on or off."""
    unit = _settings_unit(staff, unit_id)
    case_type = first_by_id(CaseType.objects.filter(Q(unit__isnull=True) | Q(unit=unit)), case_type_id)
    if case_type is None:
        raise Http404
    return activate_case_type(unit, case_type, active)


QUESTION_KINDS = ("text", "choice", "yesno", "date")
QUESTIONS_MAX = 10
OPTIONS_MAX = 20
NAME_MAX = 100
LABEL_MAX = 200
CHOICE_MAX = 100
LONG_TEXT_MAX = 5_000
ANSWER_DAYS_MAX = 30


@dataclass(frozen=True)
class Question:
    """One question of a local type's form, as the administrator wrote it (``key`` empty if new)."""

    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    key: str = ""


@dataclass(frozen=True)
class CaseTypeSpec:
    name: str
    description: str = ""
    questions: tuple[Question, ...] = ()
    terms: str = ""
    answer_days: int | None = 2
    answer_options: tuple[str, ...] = ()
    standard_replies: tuple[str, ...] = ()
    resident_may_reply: bool = True
    restricted: bool = False


def _long(value: str, field: str, errors: dict[str, list[str]], maximum: int = LONG_TEXT_MAX) -> str:
    text = (value or "").strip()
    if len(text) > maximum:
        errors[field] = [_("Texten är för lång: högst %(max)d tecken.") % {"max": maximum}]
    return text


def _texts(values: Sequence[str], field: str, errors: dict[str, list[str]], maximum: int) -> list[str]:
    texts = [v.strip() for v in values if v and v.strip()]
    if len(texts) > OPTIONS_MAX:
        errors[field] = [_("Högst %(max)d alternativ.") % {"max": OPTIONS_MAX}]
    elif any(len(t) > maximum for t in texts):
        errors[field] = [_("Varje alternativ får vara högst %(max)d tecken.") % {"max": maximum}]
    return texts


def _questions(
    questions: Sequence[Question], existing_keys: set[str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The form as CaseType.form stores it. Error keys name the page's fields: question_<n>_label..."""
    form: list[dict[str, Any]] = []
    used: set[str] = set()
    for number, question in enumerate(questions, start=1):
        label = question.label.strip()
        if not label:
            continue
        field = f"question_{number}"
        if len(form) >= QUESTIONS_MAX:
            errors[f"{field}_label"] = [_("Högst %(max)d frågor.") % {"max": QUESTIONS_MAX}]
            break
        if len(label) > LABEL_MAX:
            errors[f"{field}_label"] = [_("Frågan är för lång: högst %(max)d tecken.") % {"max": LABEL_MAX}]
        if question.kind not in QUESTION_KINDS:
            errors[f"{field}_kind"] = [_("Välj en typ av fråga.")]
        entry: dict[str, Any] = {"label": label, "kind": question.kind, "required": bool(question.required)}
        if question.kind == "choice":
            choices = [c.strip() for c in question.choices if c.strip()]
            if len(choices) < 2 or len(set(choices)) != len(choices):
                errors[f"{field}_choices"] = [_("Skriv minst två olika svarsalternativ, ett per rad.")]
            elif len(choices) > OPTIONS_MAX or any(len(c) > CHOICE_MAX for c in choices):
                errors[f"{field}_choices"] = [
                    _("Högst %(count)d svarsalternativ om högst %(max)d tecken.")
                    % {"count": OPTIONS_MAX, "max": CHOICE_MAX}
                ]
            entry["choices"] = choices
        # A question keeps its key when edited, so that earlier answers keep their label; a new one
        # gets a key never used before, so that no earlier answer is shown under it.
        key = question.key if question.key in existing_keys and question.key not in used else ""
        while not key or (key != question.key and key in existing_keys | used):
            key = f"q{secrets.token_hex(4)}"
        used.add(key)
        form.append({"key": key, **entry})
    return form


@transaction.atomic
def save_local_case_type(
    *, staff: Staff, unit_id: object, spec: CaseTypeSpec, case_type_id: object | None = None
) -> CaseType:
    """Create (``case_type_id`` None) or change one of the clinic's own case types. A new type is
    active at the clinic at once. Everything is checked first; nothing is written on an error."""
    unit = _settings_unit(staff, unit_id)
    case_type: CaseType | None = None
    if case_type_id is not None:
        case_type = first_by_id(CaseType.objects.select_for_update().filter(unit=unit), case_type_id)
        if case_type is None:
            raise Http404
    errors: dict[str, list[str]] = {}
    name = spec.name.strip()
    same_name = CaseType.objects.filter(unit=unit, name__iexact=name)
    if not name:
        errors["name"] = [_("Skriv ett namn på ärendetypen.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("Namnet är för långt: högst %(max)d tecken.") % {"max": NAME_MAX}]
    elif same_name.exclude(pk__in=[case_type.pk] if case_type else []).exists():
        errors["name"] = [_("Mottagningen har redan en ärendetyp med det namnet.")]
    description = _long(spec.description, "description", errors)
    terms = _long(spec.terms, "terms", errors)
    if spec.answer_days is None or not 1 <= spec.answer_days <= ANSWER_DAYS_MAX:
        errors["answer_days"] = [
            _("Ange svarstiden som ett antal arbetsdagar, 1–%(max)d.") % {"max": ANSWER_DAYS_MAX}
        ]
    existing_keys = {q["key"] for q in case_type.form} if case_type else set()
    form = _questions(spec.questions, existing_keys, errors)
    options = _texts(spec.answer_options, "answer_options", errors, LABEL_MAX)
    replies = _texts(spec.standard_replies, "standard_replies", errors, LONG_TEXT_MAX)
    if errors:
        raise ValidationError(errors)
    if case_type is None:
        code = f"{slugify(name)[:40] or 'typ'}-{secrets.token_hex(3)}"
        case_type = CaseType(unit=unit, code=code)
    case_type.name = name
    case_type.description = description
    case_type.form = form
    case_type.terms = terms
    case_type.answer_days = int(spec.answer_days or 0)
    case_type.answer_options = options
    case_type.standard_replies = replies
    case_type.resident_may_reply = spec.resident_may_reply
    case_type.restricted = spec.restricted
    case_type.save()
    UnitCaseType.objects.get_or_create(unit=unit, case_type=case_type, defaults={"active": True})
    return case_type


@transaction.atomic
def hand_case_type(
    *, staff: Staff, case_type_id: object, personnummer: str, until: date | None
) -> CaseTypeGrant:
    """Hand a restricted local type to one resident until ``until`` (inclusive); again: a new date."""
    case_type = first_by_id(policy.local_case_types_visible_to(staff).filter(restricted=True), case_type_id)
    if case_type is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    if until is None:
        errors["until"] = [_("Ange ett datum, till exempel 2027-03-31.")]
    elif until < timezone.localdate():
        errors["until"] = [_("Datumet har redan passerat.")]
    try:
        resident = _resident_for(personnummer, "personnummer")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    grant, _created = CaseTypeGrant.objects.update_or_create(
        case_type=case_type, resident=resident, defaults={"until": until, "granted_by": staff}
    )
    record(
        actor=staff.user,
        acting_role=Role.LOCAL_ADMIN,
        action="casetype.hand",
        object_type="CaseTypeGrant",
        object_id=grant.pk,
        unit=case_type.unit,
        subject=resident,
    )
    return grant


@transaction.atomic
def withdraw_case_type(*, staff: Staff, grant_id: object) -> None:
    grants = CaseTypeGrant.objects.filter(case_type__in=policy.local_case_types_visible_to(staff))
    grant = first_by_id(grants.select_related("case_type__unit", "resident"), grant_id)
    if grant is None:
        raise Http404
    record(
        actor=staff.user,
        acting_role=Role.LOCAL_ADMIN,
        action="casetype.withdraw",
        object_type="CaseTypeGrant",
        object_id=grant.pk,
        unit=grant.case_type.unit,
        subject=grant.resident,
    )
    grant.delete()
