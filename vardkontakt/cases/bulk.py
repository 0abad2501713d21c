"""Reverse flow (omvänt ärendeflöde): a case handler sends one case to one resident or many.

``start_bulk_send`` is the action behind the form: in one transaction it creates the ``BulkSend`` and
one ``BulkRecipient`` per line of the list (sealed, with its position), and after commit it enqueues
``tasks.process_bulk_send``. ``process_bulk_send`` works through the recipients in batches, one
transaction per batch; a recipient's case and its outcome are written in the same transaction, so a
worker that dies midway loses at most the batch in progress, and running it again skips every
recipient that already has an outcome. Each case also carries an idempotency key derived from the
send and the position, so the database itself refuses a second case for the same line.

Status of the cases created (a message from the clinic, not a question to the clinic):
- a question template (the resident may reply): ANSWERED, with the sender as handler and as the one who
  answered. The clinic has spoken and waits for the resident; the case stays open, so the sender finds
  a reply under "Mina ärenden", answers or closes it, and receivers see it under "Besvarade".
- an information template (no reply): ANSWERED and at once CLOSED. Nothing is left to do, so it does
  not sit in anyone's list of open work, nor block the clinic's deactivation (actions.open_cases).
Both changes leave history rows, through actions.change_status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.cases.actions import BODY_MAX, SUBJECT_MAX, change_status, clean_text, new_case_number
from vardkontakt.cases.models import (
    AuthorKind,
    BulkRecipient,
    BulkSend,
    BulkStatus,
    Case,
    CaseStatus,
    CaseType,
    Message,
    RecipientOutcome,
    StatusChange,
)
from vardkontakt.cases.workdays import add_working_days
from vardkontakt.directory.models import Unit, UnitStatus
from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.adapters import population_register
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.identity.register import update_from_register
from vardkontakt.notifications.actions import notify_resident_new_message
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import has_role, units_where

MAX_RECIPIENTS = 1000
BATCH_SIZE = 100
LINE_MAX = 40  # longer than any written form of a personnummer; kept whole enough to report back


# --- Who may do what ---------------------------------------------------------------------------------


def units_for_bulk(staff: Staff) -> QuerySet[Unit]:
    """Clinics ``staff`` may send from: active ones where they are case handler now."""
    return units_where(staff, Role.CASE_HANDLER).filter(status=UnitStatus.ACTIVE).order_by("name")


def templates_at(unit: Unit) -> QuerySet[CaseType]:
    """The outbound case types (templates) active at ``unit``."""
    return CaseType.objects.filter(outbound=True, units__unit=unit, units__active=True).order_by("name")


def bulk_sends_visible_to(staff: Staff) -> QuerySet[BulkSend]:
    """The sends ``staff`` may see: those of clinics where they are case receiver or case handler now.
    That includes their own while they hold the role; a revoked role ends access on the next request."""
    receiver_units = units_where(staff, Role.CASE_RECEIVER).values("id")
    handler_units = units_where(staff, Role.CASE_HANDLER).values("id")
    return BulkSend.objects.filter(Q(unit__in=receiver_units) | Q(unit__in=handler_units))


# --- Starting a send ------------------------------------------------------------------------------------


def split_list(numbers: str) -> list[str]:
    """The lines of the list that are not blank, in order, trimmed."""
    return [line.strip()[:LINE_MAX] for line in (numbers or "").splitlines() if line.strip()]


def start_bulk_send(
    *,
    staff: Staff,
    unit: Unit,
    case_type: CaseType,
    subject: str,
    body: str,
    numbers: str,
    idempotency_key: uuid.UUID,
) -> BulkSend:
    """Create the send and its recipients, and enqueue the work after commit. A repeated submit with
    the same idempotency key returns the send the first one created, and creates nothing."""
    existing = BulkSend.objects.filter(created_by=staff, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if not units_for_bulk(staff).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("Du är inte ärendehanterare på den här mottagningen."))
    errors: dict[str, list[str]] = {}
    if not templates_at(unit).filter(pk=case_type.pk).exists():
        errors["case_type"] = [_("Välj en mall som mottagningen använder.")]
    try:
        subject = clean_text(subject, field="subject", maximum=SUBJECT_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        body = clean_text(body, field="body", maximum=BODY_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    lines = split_list(numbers)
    if not lines:
        errors["numbers"] = [_("Skriv minst ett personnummer, ett per rad.")]
    elif len(lines) > MAX_RECIPIENTS:
        errors["numbers"] = [
            _(
                "Listan har %(count)d personnummer. Du kan skicka till högst %(max)s personnummer åt gången: "
                "dela upp listan."
            )
            % {"count": len(lines), "max": "1 000"}
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            bulk = BulkSend(
                unit=unit,
                created_by=staff,
                case_type=case_type,
                total=len(lines),
                idempotency_key=idempotency_key,
            )
            bulk.subject = subject
            bulk.body = body
            bulk.save()
            # The sealed identity is bound to the row's id: insert the rows, then seal into them.
            # (PostgreSQL and SQLite >= 3.35 hand back the new ids from one bulk insert.)
            recipients = BulkRecipient.objects.bulk_create(
                [BulkRecipient(bulk=bulk, position=p, identity_sealed=b"") for p in range(1, len(lines) + 1)]
            )
            for recipient, line in zip(recipients, lines, strict=True):
                if recipient.pk is None:  # a database that cannot return ids from a bulk insert
                    recipient.pk = BulkRecipient.objects.get(bulk=bulk, position=recipient.position).pk
                recipient.identity = line
            BulkRecipient.objects.bulk_update(recipients, ["identity_sealed"], batch_size=250)
            bulk_id = str(bulk.pk)
            transaction.on_commit(lambda: _enqueue(bulk_id))
            return bulk
    except IntegrityError:
        # The same submit raced in: the other request's send is the one.
        existing = BulkSend.objects.filter(created_by=staff, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


def _enqueue(bulk_id: str) -> None:
    from vardkontakt.cases.tasks import process_bulk_send  # tasks imports this module

    process_bulk_send.enqueue(bulk_id)


# --- Processing ---------------------------------------------------------------------------------------


def _parse(text: str) -> pnr.Personnummer | None:
    try:
        return pnr.parse(text)
    except ValidationError:
        return None


def _first_positions(bulk: BulkSend) -> dict[int, str | None]:
    """For each position: its 12 digits, or None if the line is not a valid number. Computed over the
    whole list, so that a second run after a crash finds the same duplicates as the first."""
    return {r.position: getattr(_parse(r.identity), "digits", None) for r in bulk.recipients.all()}


def _case_key(bulk: BulkSend, position: int) -> uuid.UUID:
    return uuid.uuid5(bulk.pk, f"recipient-{position}")


def _deliver(bulk: BulkSend, resident: Resident, position: int) -> Case:
    """The case of one recipient: the clinic's message, written by the sender."""
    sender = bulk.created_by
    case_type = bulk.case_type
    key = _case_key(bulk, position)
    existing = Case.objects.filter(created_by=sender.user, idempotency_key=key).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case(
                    number=new_case_number(),
                    unit=bulk.unit,
                    resident=resident,
                    case_type=case_type,
                    created_by=sender.user,
                    promised_by=add_working_days(timezone.localdate(), case_type.answer_days),
                    resident_may_reply=case_type.resident_may_reply,
                    idempotency_key=key,
                    status=CaseStatus.ANSWERED,
                    handler=sender,
                    answered_by=sender,
                )
                case.subject = bulk.subject
                case.answers = "{}"
                case.save()
                message = Message(case=case, author=sender.user, author_kind=AuthorKind.STAFF)
                message.body = bulk.body
                message.save()
                StatusChange.objects.create(
                    case=case,
                    to_status=CaseStatus.ANSWERED,
                    by=sender.user,
                    reason="Utskick från mottagningen",
                )
                if not case_type.resident_may_reply:
                    change_status(case, CaseStatus.CLOSED, sender.user, "Information: går inte att svara på")
                    case.save(update_fields=["status", "last_activity"])
                # Content-free, saved in this transaction and sent after it commits.
                notify_resident_new_message(resident)
                return case
        except IntegrityError:
            pass  # the random case number was taken: try another
    raise RuntimeError("could not allocate a case number")


def _outcome(
    bulk: BulkSend, recipient: BulkRecipient, digits_at: dict[int, str | None], first_at: dict[str, int]
) -> None:
    digits = digits_at.get(recipient.position)
    if digits is None:
        recipient.outcome = RecipientOutcome.INVALID
        return
    first = first_at[digits]
    if first != recipient.position:
        recipient.outcome = RecipientOutcome.DUPLICATE
        recipient.resident_id = (
            BulkRecipient.objects.filter(bulk=bulk, position=first)
            .values_list("resident_id", flat=True)
            .first()
        )
        return
    person = population_register().lookup(digits)
    if person is None:
        recipient.outcome = RecipientOutcome.UNKNOWN
        return
    resident = update_from_register(person)
    recipient.resident = resident
    if person.deceased or resident.deceased:
        recipient.outcome = RecipientOutcome.DECEASED
    elif not resident.user.is_active:
        recipient.outcome = RecipientOutcome.LOCKED
    elif resident.consented_at is None:
        recipient.outcome = RecipientOutcome.NOT_CONTACTABLE
    else:
        recipient.case = _deliver(bulk, resident, recipient.position)
        recipient.outcome = RecipientOutcome.SENT


def process_bulk_send(bulk_id: uuid.UUID | str, *, batch_size: int | None = None) -> None:
    """Work through the recipients still PENDING, ``batch_size`` per transaction; mark the send DONE.
    Safe to run again, and safe to run twice at once (the send's row is locked per batch)."""
    size = batch_size or BATCH_SIZE
    bulk = BulkSend.objects.filter(pk=bulk_id).first()
    if bulk is None or bulk.status == BulkStatus.DONE:
        return
    BulkSend.objects.filter(pk=bulk.pk, status=BulkStatus.QUEUED).update(status=BulkStatus.RUNNING)
    digits_at = _first_positions(bulk)
    first_at: dict[str, int] = {}
    for position in sorted(digits_at):
        digits = digits_at[position]
        if digits is not None:
            first_at.setdefault(digits, position)
    while True:
        with transaction.atomic():
            locked = (
                BulkSend.objects.select_for_update(of=("self",))
                .select_related("unit", "case_type", "created_by__user")
                .get(pk=bulk.pk)
            )
            if locked.status == BulkStatus.DONE:
                return
            batch = list(
                locked.recipients.filter(outcome=RecipientOutcome.PENDING).order_by("position")[:size]
            )
            for recipient in batch:
                _outcome(locked, recipient, digits_at, first_at)
                recipient.save(update_fields=["outcome", "resident", "case"])
            locked.processed = locked.recipients.exclude(outcome=RecipientOutcome.PENDING).count()
            if not batch:
                locked.status = BulkStatus.DONE
                locked.finished_at = timezone.now()
            else:
                locked.status = BulkStatus.RUNNING
            locked.save(update_fields=["processed", "status", "finished_at"])
            if not batch:
                return


# --- Reading the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    position: int
    who: str  # the name from the register with a masked number, or the masked number alone
    reason: str


def _masked_line(text: str) -> str:
    """A line that is not a valid number, with its last four characters hidden."""
    keep = max(len(text) - 4, 0)
    return text[:keep] + "*" * (len(text) - keep)


def outcome_counts(bulk: BulkSend) -> dict[str, int]:
    rows = bulk.recipients.values("outcome").annotate(n=Count("pk"))
    return {row["outcome"]: row["n"] for row in rows}


def not_sent(staff: Staff, bulk: BulkSend) -> list[Reported]:
    """Every recipient who did not get the case, by name (if the register knows them) or masked number,
    with the reason. The read of these names is written to the access log, in the caller's transaction."""
    record(
        actor=staff.user,
        acting_role=Role.CASE_RECEIVER
        if has_role(staff, Role.CASE_RECEIVER, unit=bulk.unit)
        else Role.CASE_HANDLER,
        action="bulk.read",
        object_type="BulkSend",
        object_id=bulk.pk,
        unit=bulk.unit,
    )
    reported = []
    rows = (
        bulk.recipients.exclude(outcome__in=[RecipientOutcome.SENT, RecipientOutcome.PENDING])
        .select_related("resident")
        .order_by("position")
    )
    for row in rows:
        number = _parse(row.identity)
        masked = number.masked if number is not None else _masked_line(row.identity)
        who = f"{row.resident.full_name} ({masked})" if row.resident is not None else masked
        reported.append(Reported(row.position, who, str(RecipientOutcome(row.outcome).label)))
    return reported
