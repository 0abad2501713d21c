"""Cases (ärenden): a resident's errand at a clinic, its messages and its status history.

Free text is sealed (crypto.fields); the database holds no message body, subject or form answer in
clear. Who may read a case is decided in policy.py and nowhere else."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vardkontakt.crypto.fields import EncryptedBytes, EncryptedText
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.statements import Param, Statement


class CaseType(models.Model):
    """What a resident can ask a clinic about. Central types (unit is null) are the region's and are
    distributed to every connected clinic; local types belong to one clinic."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=50)
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="local_case_types"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # The question form: [{"key", "label", "kind": text|choice|yesno|date, "required", "choices"}].
    form = models.JSONField(default=list, blank=True)
    terms = models.TextField(blank=True)  # villkorstext the resident must accept
    answer_days = models.PositiveSmallIntegerField(default=2)  # promised answer time, Swedish working days
    resident_may_reply = models.BooleanField(default=True)
    standard_replies = models.JSONField(default=list, blank=True)  # texts the handler can start from
    # Fixed answer options (short texts); the one the handler picks opens the answer.
    answer_options = models.JSONField(default=list, blank=True)
    # Only for the residents the clinic hands it to (CaseTypeGrant), until the date given there.
    restricted = models.BooleanField(default=False)
    basic = models.BooleanField(default=False)  # one of the basic services (basutbud)
    # Sent by a clinic to residents (reverse flow) rather than chosen by a resident.
    outbound = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(unit__isnull=True), name="casetype_central_code_unique"
            ),
            models.UniqueConstraint(fields=["unit", "code"], name="casetype_local_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class UnitCaseType(models.Model):
    """A case type that a clinic offers (activated)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="case_types")
    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="units")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "case_type"], name="unitcasetype_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.case_type_id}"


class CaseTypeGrant(models.Model):
    """A restricted case type handed to one resident, who may use it until ``until`` (inclusive)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="grants")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    until = models.DateField()
    granted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case_type", "resident"], name="casetypegrant_unique")]

    def __str__(self) -> str:
        return f"{self.case_type_id}:{self.resident_id}"


class MyClinicKind(models.TextChoices):
    """How a clinic came to be one of the resident's clinics ("Mina mottagningar")."""

    ADDED = "added", _("Du har lagt till mottagningen")
    APPROVED = "approved", _("Mottagningen har godkänt dig för kontakt")
    INVITATION = "invitation", _("Du har fått en kallelse")
    BOOKING = "booking", _("Du har bokat en tid")


class MyClinic(models.Model):
    """One reason a clinic is among the resident's clinics; a clinic may have several. APPROVED is
    the clinic's decision (its local administrator's): it admits the resident outside the clinic's
    service area, and only the clinic takes it back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="my_clinics")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="resident_links")
    kind = models.CharField(max_length=16, choices=MyClinicKind.choices)
    decided_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resident", "unit", "kind"], name="myclinic_unique"),
            models.CheckConstraint(condition=Q(kind__in=MyClinicKind.values), name="myclinic_kind_valid"),
        ]
        indexes = [models.Index(fields=["unit", "kind"], name="myclinic_unit_kind")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.unit_id}:{self.kind}"


class CaseStatus(models.TextChoices):
    SENT = "sent", _("Skickat")
    DISTRIBUTED = "distributed", _("Hos en handläggare")
    INTERIM = "interim", _("Delsvar")
    ANSWERED = "answered", _("Besvarat")
    CLOSED = "closed", _("Avslutat")


# Every status change the system allows, and nothing else (actions.change_status).
TRANSITIONS: dict[str, frozenset[str]] = {
    # Distributing with an interim reply (delsvar) goes straight from SENT to INTERIM.
    CaseStatus.SENT: frozenset(
        {CaseStatus.DISTRIBUTED, CaseStatus.INTERIM, CaseStatus.ANSWERED, CaseStatus.CLOSED}
    ),
    CaseStatus.DISTRIBUTED: frozenset(
        {CaseStatus.DISTRIBUTED, CaseStatus.INTERIM, CaseStatus.ANSWERED, CaseStatus.CLOSED}
    ),
    CaseStatus.INTERIM: frozenset(
        {CaseStatus.DISTRIBUTED, CaseStatus.INTERIM, CaseStatus.ANSWERED, CaseStatus.CLOSED}
    ),
    # Redistributing an answered case with an interim reply, too.
    CaseStatus.ANSWERED: frozenset(
        {CaseStatus.DISTRIBUTED, CaseStatus.INTERIM, CaseStatus.ANSWERED, CaseStatus.CLOSED}
    ),
    CaseStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset(set(CaseStatus.values) - {CaseStatus.CLOSED})


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True)  # shown to people: "VK-2026-000123"
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="cases")
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases")
    # Who pressed send: the resident, or a guardian acting for a child under 13.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_guardian = models.BooleanField(default=False)
    subject_sealed = models.BinaryField()
    subject = EncryptedText("subject_sealed")
    answers_sealed = models.BinaryField(null=True, blank=True)
    answers = EncryptedText("answers_sealed")  # the question form's answers, as JSON
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.SENT)
    handler = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases"
    )
    answered_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="answered_cases"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)
    promised_by = models.DateField()
    resident_may_reply = models.BooleanField(default=True)
    # A double-submitted form carries the same key: the second submit finds the first case.
    idempotency_key = models.UUIDField()
    archived_by_resident = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # The resident's inbox and its "Arkiverade" view (lists.resident_inbox_page).
            models.Index(
                fields=["resident", "archived_by_resident", "-last_activity"],
                name="case_resident_archive_activity",
            ),
            models.Index(fields=["unit", "status", "-last_activity"], name="case_unit_status_activity"),
            models.Index(fields=["handler", "status", "-last_activity"], name="case_handler_status_activity"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["created_by", "idempotency_key"], name="case_idempotency_unique"),
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="case_status_valid"),
        ]

    def __str__(self) -> str:
        return self.number


class AuthorKind(models.TextChoices):
    RESIDENT = "resident", _("Invånare")
    STAFF = "staff", _("Vårdpersonal")


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    interim = models.BooleanField(default=False)  # a delsvar
    body_sealed = models.BinaryField()
    body = EncryptedText("body_sealed")
    created_at = models.DateTimeField(default=timezone.now)
    read_by_resident_at = models.DateTimeField(null=True, blank=True)  # the clinic sees when it was read

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_created")]

    def __str__(self) -> str:
        return f"message {self.id}"


class StatusChange(models.Model):
    """One row per status change: who, when, from what, to what, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} -> {self.to_status}"


_CASE_PARAM = Param("case", models.UUIDField())
_HISTORY = Statement(lambda: StatusChange.objects.filter(case_id=_CASE_PARAM).order_by("at", "pk"))


def send_history(case: Case) -> Callable[[], list[StatusChange]]:
    """The case's status changes, oldest first, each with ``change.case`` set (a page's fixed read),
    in two steps: the query is sent now (see ``statements.pipeline``), the changes are made when the
    returned function is called."""
    sent = _HISTORY.send(case=case.pk)

    def make() -> list[StatusChange]:
        history = sent.result()
        for change in history:
            StatusChange.case.field.set_cached_value(change, case)
        return history

    return make


_STAFF_OF_CASE = Statement(
    # One IN (… UNION …): an OR of two IN subqueries makes PostgreSQL scan the whole staff table.
    lambda: Staff.objects.filter(
        user_id__in=Message.objects.filter(case_id=_CASE_PARAM)
        .values("author_id")
        .union(StatusChange.objects.filter(case_id=_CASE_PARAM).values("by_id"))
    ).only("user_id", "given_name", "family_name")
)


def send_people(case: Case) -> Callable[[], Callable[[object], str]]:
    """Who wrote a message of ``case`` or changed its status, by user id, as the staff tool names
    them: a member of staff by name, the resident by name, anyone else as the resident's guardian
    (a guardian acting for a child). The staff among them are read by one statement, sent now (see
    ``statements.pipeline``); the returned function gives the naming function."""
    sent = _STAFF_OF_CASE.send(case=case.pk)

    def make() -> Callable[[object], str]:
        staff_names: dict[object, str] = {s.user_id: s.full_name for s in sent.result()}

        def name(user_id: object) -> str:
            if user_id in staff_names:
                return staff_names[user_id]
            if user_id == case.resident.user_id:
                return case.resident.full_name
            return gettext("Vårdnadshavare")

        return name

    return make


class ScanResult(models.TextChoices):
    CLEAN = "clean", _("Inget virus hittades")
    NOT_SCANNED = "not_scanned", _("Inte virussökt (ingen virussökning konfigurerad)")


class Attachment(models.Model):
    """A file sent with a message. Name and content are sealed; the type is what the content is,
    found by looking at the bytes, never by trusting the file name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename_sealed = models.BinaryField()
    filename = EncryptedText("filename_sealed")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    data_sealed = models.BinaryField()
    data = EncryptedBytes("data_sealed")
    scan = models.CharField(max_length=16, choices=ScanResult.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"attachment {self.id}"


class BulkStatus(models.TextChoices):
    QUEUED = "queued", _("I kö")
    RUNNING = "running", _("Pågår")
    DONE = "done", _("Klar")


class BulkSend(models.Model):
    """Reverse flow: a clinic sends one case to many residents, as a background task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bulk_sends")
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="bulk_sends")
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="+")
    subject_sealed = models.BinaryField()
    subject = EncryptedText("subject_sealed")
    body_sealed = models.BinaryField()
    body = EncryptedText("body_sealed")
    status = models.CharField(max_length=16, choices=BulkStatus.choices, default=BulkStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"], name="bulksend_idempotency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"bulk send {self.id}"


class RecipientOutcome(models.TextChoices):
    PENDING = "pending", _("Väntar")
    SENT = "sent", _("Skickat")
    INVALID = "invalid", _("Inte ett giltigt personnummer")
    UNKNOWN = "unknown", _("Okänd i folkbokföringen")
    DECEASED = "deceased", _("Avliden")
    LOCKED = "locked", _("Inloggningen är spärrad")
    NOT_CONTACTABLE = "not_contactable", _("Kan inte nås digitalt")
    DUPLICATE = "duplicate", _("Fanns redan i listan")


class BulkRecipient(models.Model):
    bulk = models.ForeignKey(BulkSend, on_delete=models.CASCADE, related_name="recipients")
    position = models.PositiveIntegerField()  # the line in the list the clinic gave
    identity_sealed = models.BinaryField()
    identity = EncryptedText("identity_sealed")  # as written in the list
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(
        max_length=16, choices=RecipientOutcome.choices, default=RecipientOutcome.PENDING
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bulk", "position"], name="bulkrecipient_position_unique")
        ]
        indexes = [models.Index(fields=["bulk", "outcome"], name="bulkrecipient_bulk_outcome")]

    def __str__(self) -> str:
        return f"recipient {self.position} of {self.bulk_id}"
