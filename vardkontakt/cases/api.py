"""Cases in the JSON API: the operations of the case pages, under the same policy and actions.

Thin, like the pages: lists start from the same querysets and keyset pages (views_resident.inbox_page,
views_staff's tabs and pages), a staff read goes through actions.open_case_for_staff inside one
transaction (one access-log row per read), and every change is an action. No access rule lives here.

Authentication is the web session (cookie) in its realm, checked on every request like the pages'
decorators: a resident session for /cases, a staff session whose member holds a role in force for
/cases/staff. No session, or the other realm: 401. CSRF is checked on unsafe methods (the
X-CSRFToken header, as for any Django form post). A case one may not see answers exactly like an id
that does not exist: 404 {"detail": "Not Found"}. PermissionDenied: 403. An action's
ValidationError: 422 with the problem per field. Responses carry no personnummer: staff see the
resident's name, residents see the clinic's.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.errors import ValidationError as ApiValidationError
from ninja.security import APIKeyCookie

from vardkontakt.cases import actions, attachments, policy
from vardkontakt.cases.lists import (
    TABS,
    InboxRow,
    chosen_unit,
    filter_by_tab,
    page_by_activity,
    resident_inbox_page,
)
from vardkontakt.cases.models import (
    OPEN_STATUSES,
    Attachment,
    AuthorKind,
    Case,
    CaseStatus,
    CaseType,
    Message,
    MyClinicKind,
)
from vardkontakt.cases.views_staff import NUMBER_MAX
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import acting_resident, logged_in_resident, logged_in_staff
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.identity.session import Realm, current_realm, end_session
from vardkontakt.ids import first_by_id, row_by_id
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import has_any_role, staff_of, units_where

RESIDENT_TAG = "Ärenden (invånare)"
STAFF_TAG = "Ärenden (vårdpersonal)"
NOT_FOUND = "Not Found"


# --- Authentication: the session of one realm -------------------------------------------------------


class _RealmSession(APIKeyCookie):
    """The logged-in person of one realm, or None (401). CSRF on unsafe methods, once the session is
    known to be of this realm (so a request without a session gets 401, not 403)."""

    param_name = settings.SESSION_COOKIE_NAME
    realm: Realm

    def __call__(self, request: HttpRequest) -> Any:
        if current_realm(request) != self.realm:
            return None
        self._get_key(request)  # raises HttpError(403) on a failed CSRF check
        return self.authenticate(request, None)


class ResidentSession(_RealmSession):
    realm = Realm.RESIDENT

    def authenticate(self, request: HttpRequest, key: str | None) -> Resident | None:
        resident = logged_in_resident(request)
        if resident.deceased:  # as resident_required: the session ends at once
            end_session(request)
            return None
        if resident.consented_at is None:
            raise HttpError(403, _("Godkänn villkoren för Vårdkontakt på webben först."))
        return resident


class StaffSession(_RealmSession):
    realm = Realm.STAFF

    def authenticate(self, request: HttpRequest, key: str | None) -> Staff | None:
        # As staff_required: a member without any role in force is logged out, on every request.
        staff = staff_of(request.user)  # type: ignore[arg-type]
        if staff is None or not has_any_role(staff):
            end_session(request)
            return None
        return staff


router = Router(auth=ResidentSession())
staff_router = Router(auth=StaffSession())
router.add_router("/staff", staff_router)


# --- Errors -----------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _field_errors(error: ValidationError, renames: dict[str, str]) -> ApiValidationError:
    """An action's ValidationError as ninja's 422: one item per message, located at its field."""

    def loc(field: str | None) -> list[str]:
        if not field or field == NON_FIELD_ERRORS:
            return ["body"]
        if field.startswith("q_"):  # a question of the case type's form
            return ["body", "payload", "answers", field[2:]]
        return ["body", "payload", renames.get(field, field)]

    items: list[dict[str, Any]] = []
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            items += [{"type": "value_error", "loc": loc(field), "msg": m} for m in messages]
    else:
        renamed = renames.get(str(getattr(error, "code", "") or ""))
        items += [{"type": "value_error", "loc": loc(renamed), "msg": m} for m in error.messages]
    return ApiValidationError(items)


@contextmanager
def _answers_as_http(**renames: str) -> Iterator[None]:
    """Http404 -> 404 (one body for every kind of not found), PermissionDenied -> 403,
    ValidationError -> 422 per field (``renames``: an action's field or error code -> the API field)."""
    try:
        yield
    except Http404:
        raise HttpError(404, NOT_FOUND) from None
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Forbidden") from None
    except ValidationError as exc:
        raise _field_errors(exc, renames) from None


# --- Shared schemas ---------------------------------------------------------------------------------


class UnitRef(Schema):
    id: uuid.UUID
    name: str


class TypeRef(Schema):
    id: uuid.UUID
    name: str


class PersonRef(Schema):
    id: uuid.UUID
    name: str


class AnswerOut(Schema):
    key: str
    label: str
    value: str


def _unit(unit: Unit) -> UnitRef:
    return UnitRef(id=unit.pk, name=unit.name)


def _type(case_type: CaseType) -> TypeRef:
    return TypeRef(id=case_type.pk, name=case_type.name)


def _staff_ref(staff: Staff | None) -> PersonRef | None:
    return None if staff is None else PersonRef(id=staff.pk, name=staff.full_name)


def _overdue(case: Case | InboxRow) -> bool:
    return case.status not in (CaseStatus.ANSWERED, CaseStatus.CLOSED) and (
        case.promised_by < timezone.localdate()
    )


def _answers(case: Case) -> list[AnswerOut]:
    try:
        given = json.loads(case.answers or "{}")
    except ValueError:
        given = {}
    labels = {field["key"]: field.get("label", field["key"]) for field in case.case_type.form}
    return [
        AnswerOut(key=key, label=labels.get(key, key), value=str(value))
        for key, value in given.items()
        if value not in (None, "")
    ]


# --- Resident ---------------------------------------------------------------------------------------


class ResidentCaseRow(Schema):
    id: uuid.UUID
    number: str
    subject: str
    status: CaseStatus
    status_label: str
    unit: UnitRef
    case_type: TypeRef
    last_activity: datetime
    promised_by: date
    overdue: bool
    unread: int


class ResidentCasePage(Schema):
    items: list[ResidentCaseRow]
    next: str | None = Field(None, description="The cursor of the next page (?after=), if any.")


class AttachmentOut(Schema):
    id: uuid.UUID
    name: str
    content_type: str
    size: int


def _files(message: Message) -> list[AttachmentOut]:
    """The message's files (names, not contents); reads a prefetched ``attachments`` if there is one."""
    return [
        AttachmentOut(id=a.pk, name=a.filename, content_type=a.content_type, size=a.size)
        for a in message.attachments.all()
    ]


class ResidentMessageOut(Schema):
    id: uuid.UUID
    from_clinic: bool
    from_me: bool
    interim: bool
    body: str
    created_at: datetime
    read_at: datetime | None = Field(None, description="When the resident first read a clinic's message.")
    attachments: list[AttachmentOut] = Field(default_factory=list)


class ResidentCaseOut(Schema):
    id: uuid.UUID
    number: str
    subject: str
    status: CaseStatus
    status_label: str
    unit: UnitRef
    case_type: TypeRef
    by_guardian: bool
    created_at: datetime
    last_activity: datetime
    promised_by: date
    overdue: bool
    may_reply: bool
    answers: list[AnswerOut]
    messages: list[ResidentMessageOut]


class StartCaseIn(Schema):
    unit_id: uuid.UUID
    case_type_id: uuid.UUID
    subject: str = ""
    body: str = ""
    answers: dict[str, str] = Field(default_factory=dict, description="The type's questions, by key.")
    accept_terms: bool = False
    idempotency_key: uuid.UUID = Field(description="New for each case; a repeat returns the same case.")


class ReplyIn(Schema):
    body: str


class ArchiveIn(Schema):
    archived: bool = True


class OpenUnitOut(Schema):
    id: uuid.UUID
    name: str
    city: str


class QuestionOut(Schema):
    key: str
    label: str
    kind: str
    required: bool
    choices: list[str]


class CaseTypeOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    terms: str
    answer_days: int
    resident_may_reply: bool
    questions: list[QuestionOut]


def _resident_row(case: InboxRow | Case) -> ResidentCaseRow:
    """A row of the resident's list (lists.InboxRow), or the row of a case just changed (its unread
    messages are not counted there: 0)."""
    if isinstance(case, InboxRow):
        unit = UnitRef(id=case.unit_id, name=case.unit_name)
        case_type = TypeRef(id=case.case_type_id, name=case.case_type_name)
        unread = case.unread
    else:
        unit, case_type, unread = _unit(case.unit), _type(case.case_type), 0
    return ResidentCaseRow(
        id=case.pk,
        number=case.number,
        subject=case.subject,
        status=CaseStatus(case.status),
        status_label=str(CaseStatus(case.status).label),
        unit=unit,
        case_type=case_type,
        last_activity=case.last_activity,
        promised_by=case.promised_by,
        overdue=_overdue(case),
        unread=unread,
    )


def _resident_case(case: Case, thread: list[Message], user: User) -> ResidentCaseOut:
    return ResidentCaseOut(
        id=case.pk,
        number=case.number,
        subject=case.subject,
        status=CaseStatus(case.status),
        status_label=str(CaseStatus(case.status).label),
        unit=_unit(case.unit),
        case_type=_type(case.case_type),
        by_guardian=case.by_guardian,
        created_at=case.created_at,
        last_activity=case.last_activity,
        promised_by=case.promised_by,
        overdue=_overdue(case),
        may_reply=policy.resident_may_reply(case),
        answers=_answers(case),
        messages=[
            ResidentMessageOut(
                id=m.pk,
                from_clinic=m.author_kind == AuthorKind.STAFF,
                from_me=m.author_id == user.pk,
                interim=m.interim,
                body=m.body,
                created_at=m.created_at,
                read_at=m.read_by_resident_at,
                attachments=_files(m),
            )
            for m in thread
        ],
    )


def _own_case(request: HttpRequest, case_id: str) -> Case:
    """A case of the acting resident that the logged-in person may see (cases.policy), or 404."""
    resident = acting_resident(request)
    cases = policy.cases_of_resident(resident, by=request.user).select_related(  # type: ignore[arg-type]
        "unit", "case_type", "resident"
    )
    case = first_by_id(cases, case_id)
    if case is None:
        raise Http404
    return case


@router.get(
    "",
    response={200: ResidentCasePage, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="My cases",
    operation_id="resident_cases_list",
)
def list_my_cases(request: HttpRequest, after: str = "", archived: bool = False) -> ResidentCasePage:
    """The acting resident's cases (the guardian's child's in proxy mode), newest activity first,
    20 a page by keyset: pass the previous page's ``next`` as ``after``. ``archived``: the archive."""
    rows, next_cursor = resident_inbox_page(
        acting_resident(request),
        after,
        by=request.user,  # type: ignore[arg-type]
        archived=archived,
    )
    return ResidentCasePage(items=[_resident_row(case) for case in rows], next=next_cursor)


@router.get(
    "/units",
    response={200: list[OpenUnitOut], **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Clinics I can start a case at",
    operation_id="resident_cases_units",
)
def list_open_units(request: HttpRequest) -> list[OpenUnitOut]:
    units = actions.units_open_to(acting_resident(request))
    return [OpenUnitOut(id=u.pk, name=u.name, city=u.city) for u in units]


@router.get(
    "/units/{unit_id}/case-types",
    response={200: list[CaseTypeOut], **ERRORS},
    tags=[RESIDENT_TAG],
    summary="The case types of a clinic I can start a case at",
    operation_id="resident_cases_unit_types",
)
def list_case_types(request: HttpRequest, unit_id: str) -> list[CaseTypeOut]:
    unit = first_by_id(actions.units_open_to(acting_resident(request)), unit_id)
    if unit is None:
        raise HttpError(404, NOT_FOUND)
    return [
        CaseTypeOut(
            id=t.pk,
            name=t.name,
            description=t.description,
            terms=t.terms,
            answer_days=t.answer_days,
            resident_may_reply=t.resident_may_reply,
            questions=[
                QuestionOut(
                    key=q["key"],
                    label=q.get("label", q["key"]),
                    kind=q.get("kind", "text"),
                    required=bool(q.get("required")),
                    choices=[str(c) for c in q.get("choices", [])],
                )
                for q in t.form
            ],
        )
        for t in policy.case_types_for(unit, acting_resident(request))
    ]


class MyClinicOut(Schema):
    unit: UnitRef
    kinds: list[MyClinicKind] = Field(description="Why the clinic is among yours.")
    removable: bool = Field(description="False when only the clinic's own approval keeps it here.")


class MyClinicIn(Schema):
    unit_id: uuid.UUID


@router.get(
    "/my-clinics",
    response={200: list[MyClinicOut], **ERRORS},
    tags=[RESIDENT_TAG],
    summary="My clinics",
    operation_id="resident_my_clinics",
)
def list_my_clinics(request: HttpRequest) -> list[MyClinicOut]:
    return [
        MyClinicOut(
            unit=_unit(unit),
            kinds=[MyClinicKind(k) for k in kinds],
            removable=any(k != MyClinicKind.APPROVED for k in kinds),
        )
        for unit, kinds in actions.my_clinics(acting_resident(request))
    ]


@router.post(
    "/my-clinics",
    response={201: MyClinicOut, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Add a clinic to my clinics",
    operation_id="resident_my_clinics_add",
)
def add_my_clinic(request: HttpRequest, payload: MyClinicIn) -> Status[MyClinicOut]:
    resident = acting_resident(request)
    with _answers_as_http(unit="unit_id"):
        link = actions.add_my_clinic(resident=resident, unit_id=payload.unit_id)
    kinds = {unit.pk: k for unit, k in actions.my_clinics(resident)}[link.unit_id]
    return Status(
        201, MyClinicOut(unit=_unit(link.unit), kinds=[MyClinicKind(k) for k in kinds], removable=True)
    )


@router.delete(
    "/my-clinics/{unit_id}",
    response={204: None, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Remove a clinic from my clinics (the clinic's own approval stays)",
    operation_id="resident_my_clinics_remove",
)
def remove_my_clinic(request: HttpRequest, unit_id: str) -> Status[None]:
    with _answers_as_http():
        actions.remove_my_clinic(resident=acting_resident(request), unit_id=unit_id)
    return Status(204, None)


@router.post(
    "",
    response={201: ResidentCaseOut, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Start a case",
    operation_id="resident_cases_start",
)
def start_case(request: HttpRequest, payload: StartCaseIn) -> Status[ResidentCaseOut]:
    """Send a new case to a clinic, for the acting resident. Sending again with the same
    ``idempotency_key`` creates nothing and answers with the case the first request created."""
    resident = acting_resident(request)
    user: User = request.user  # type: ignore[assignment]
    unit = row_by_id(Unit, payload.unit_id)
    case_type = row_by_id(CaseType, payload.case_type_id)
    if unit is None or case_type is None:
        items = []
        if unit is None:
            items.append(
                {
                    "type": "value_error",
                    "loc": ["body", "payload", "unit_id"],
                    "msg": _("Välj en mottagning."),
                }
            )
        if case_type is None:
            items.append(
                {
                    "type": "value_error",
                    "loc": ["body", "payload", "case_type_id"],
                    "msg": _("Mottagningen tar inte emot den här typen av ärenden."),
                }
            )
        raise ApiValidationError(items)
    with _answers_as_http(unit="unit_id", case_type="case_type_id"):
        case = actions.send_case(
            user=user,
            resident=resident,
            unit=unit,
            case_type=case_type,
            subject=payload.subject,
            body=payload.body,
            answers=dict(payload.answers),
            accepted_terms=payload.accept_terms,
            idempotency_key=payload.idempotency_key,
        )
        if case.resident_id != resident.pk:
            # The key was used for someone else (a child, before the proxy ended): never show it here.
            raise ValidationError({"idempotency_key": [_("Nyckeln har redan använts för ett annat ärende.")]})
        case = _own_case(request, str(case.pk))
    return Status(201, _resident_case(case, attachments.thread_of(case), user))


@router.get(
    "/{case_id}",
    response={200: ResidentCaseOut, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="One of my cases, with its messages",
    operation_id="resident_cases_get",
)
def get_my_case(request: HttpRequest, case_id: str) -> ResidentCaseOut:
    """The case and its messages; the clinic's messages are marked read, as on the case page."""
    with _answers_as_http():
        case = _own_case(request, case_id)
    thread = attachments.thread_of(case)
    actions.mark_read_by_resident(case)
    return _resident_case(case, thread, request.user)  # type: ignore[arg-type]


@router.post(
    "/{case_id}/messages",
    response={201: ResidentMessageOut, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Reply in one of my cases",
    operation_id="resident_cases_reply",
)
def reply(request: HttpRequest, case_id: str, payload: ReplyIn) -> Status[ResidentMessageOut]:
    return _reply(request, case_id, payload.body)


def _reply(
    request: HttpRequest, case_id: str, body: str, files: list[UploadedFile] | None = None
) -> Status[ResidentMessageOut]:
    """The JSON and the multipart reply: one action call; a refused file is answered under ``files``."""
    with _answers_as_http(attachments="files"):
        message = actions.reply_as_resident(
            user=request.user,  # type: ignore[arg-type]
            resident=acting_resident(request),
            case_id=case_id,
            body=body,
            files=files,
        )
    return Status(
        201,
        ResidentMessageOut(
            id=message.pk,
            from_clinic=False,
            from_me=True,
            interim=False,
            body=message.body,
            created_at=message.created_at,
            read_at=None,
            attachments=_files(message),
        ),
    )


@router.post(
    "/{case_id}/messages/with-files",
    response={201: ResidentMessageOut, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Reply in one of my cases, with files (multipart/form-data)",
    operation_id="resident_cases_reply_with_files",
)
def reply_with_files(
    request: HttpRequest, case_id: str, body: Form[str], files: File[list[UploadedFile]]
) -> Status[ResidentMessageOut]:
    """As a reply, with files under ``files``: the same limits, type checks and virus scanning as the
    case page; one refused file refuses the whole reply."""
    return _reply(request, case_id, body, files)


@router.post(
    "/{case_id}/archive",
    response={200: ResidentCaseRow, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Move one of my cases to the archive, or back",
    operation_id="resident_cases_archive",
)
def archive(request: HttpRequest, case_id: str, payload: ArchiveIn) -> ResidentCaseRow:
    with _answers_as_http():
        actions.archive_case(
            user=request.user,  # type: ignore[arg-type]
            resident=acting_resident(request),
            case_id=case_id,
            archived=payload.archived,
        )
        return _resident_row(_own_case(request, case_id))


@router.get(
    "/{case_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    tags=[RESIDENT_TAG],
    summary="Download a file of one of my cases",
    operation_id="resident_cases_attachment",
)
def download(request: HttpRequest, case_id: str, attachment_id: str) -> HttpResponse:
    """The file as a download (the case page's policy and headers); 404 for anyone else's."""
    with _answers_as_http():
        case = _own_case(request, case_id)
        found = first_by_id(Attachment.objects.filter(message__case=case), attachment_id)
        if found is None:
            raise Http404
    return attachments.download(found)


# --- Staff ------------------------------------------------------------------------------------------


class InboxTab(StrEnum):
    NEW = "new"
    DISTRIBUTED = "distributed"
    OVERDUE = "overdue"
    ANSWERED = "answered"
    CLOSED = "closed"


# The inbox page's tab keys (views_staff.TABS), in the same order.
_TAB_KEYS = dict(zip(InboxTab, (tab.key for tab in TABS), strict=True))


class StaffCaseRow(Schema):
    """A line of a list: what the page's table shows, no case content (a list is not a read)."""

    id: uuid.UUID
    number: str
    status: CaseStatus
    status_label: str
    unit: UnitRef
    case_type: TypeRef
    resident: PersonRef
    by_guardian: bool
    handler: PersonRef | None
    created_at: datetime
    last_activity: datetime
    promised_by: date
    overdue: bool


class StaffCasePage(Schema):
    items: list[StaffCaseRow]
    next: str | None = Field(None, description="The cursor of the next page (?after=), if any.")


class StaffMessageOut(Schema):
    id: uuid.UUID
    author: str
    from_staff: bool
    interim: bool
    body: str
    created_at: datetime
    read_by_resident_at: datetime | None
    attachments: list[AttachmentOut] = Field(default_factory=list)


class HistoryOut(Schema):
    from_status: str
    to_status: str
    by: str
    at: datetime
    reason: str


class StaffCaseOut(Schema):
    id: uuid.UUID
    number: str
    subject: str
    status: CaseStatus
    status_label: str
    unit: UnitRef
    case_type: TypeRef
    resident: PersonRef
    by_guardian: bool
    handler: PersonRef | None
    answered_by: PersonRef | None
    created_at: datetime
    last_activity: datetime
    promised_by: date
    overdue: bool
    answers: list[AnswerOut]
    messages: list[StaffMessageOut]
    history: list[HistoryOut]
    acting_role: str
    may_distribute: bool
    may_send_interim: bool
    may_answer: bool
    may_close: bool
    handlers: list[PersonRef] = Field(description="Whom the case can be distributed to, if you may.")
    standard_replies: list[str]
    answer_options: list[str] = Field(description="Fixed answer options; answer with one by position.")


class CaseStateOut(Schema):
    """The case after a change (not a read of its content)."""

    id: uuid.UUID
    number: str
    status: CaseStatus
    handler: PersonRef | None


class DistributeIn(Schema):
    handler_id: uuid.UUID
    interim: str = Field("", description="An interim reply (delsvar) to the resident, optional.")


class AnswerIn(Schema):
    body: str = ""
    signature: str = Field("", max_length=200, description="Put below the answer.")
    close: bool = False
    option: int | None = Field(None, description="A fixed answer option (its position); opens the answer.")


class CloseIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


def _staff_row(case: Case) -> StaffCaseRow:
    return StaffCaseRow(
        id=case.pk,
        number=case.number,
        status=CaseStatus(case.status),
        status_label=str(CaseStatus(case.status).label),
        unit=_unit(case.unit),
        case_type=_type(case.case_type),
        resident=PersonRef(id=case.resident.pk, name=case.resident.full_name),
        by_guardian=case.by_guardian,
        handler=_staff_ref(case.handler),
        created_at=case.created_at,
        last_activity=case.last_activity,
        promised_by=case.promised_by,
        overdue=_overdue(case),
    )


def _staff_page(cases: Any, after: str) -> StaffCasePage:
    with _answers_as_http():
        rows, next_cursor = page_by_activity(cases.select_related("unit"), after)
    return StaffCasePage(items=[_staff_row(case) for case in rows], next=next_cursor)


def _state(case: Case) -> CaseStateOut:
    return CaseStateOut(
        id=case.pk, number=case.number, status=CaseStatus(case.status), handler=_staff_ref(case.handler)
    )


@staff_router.get(
    "/inbox",
    response={200: StaffCasePage, **ERRORS},
    tags=[STAFF_TAG],
    summary="The clinic inbox (case receivers)",
    operation_id="staff_cases_inbox",
)
def clinic_inbox(
    request: HttpRequest,
    unit: str = "",
    tab: InboxTab = InboxTab.NEW,
    number: str = "",
    after: str = "",
) -> StaffCasePage:
    """The cases of a clinic where you are case receiver (the first such clinic by name if ``unit``
    is not given), by tab, or the case with ``number``; 25 a page by keyset."""
    staff = logged_in_staff(request)
    units = list(units_where(staff, Role.CASE_RECEIVER).order_by("name"))
    if not units:
        raise HttpError(403, _("Du är inte ärendemottagare på någon mottagning."))
    with _answers_as_http():
        chosen = chosen_unit(units, unit)
    cases = policy.cases_visible_to_staff(staff).filter(unit=chosen)
    number = number.strip()[:NUMBER_MAX]
    cases = cases.filter(number=number) if number else filter_by_tab(cases, _TAB_KEYS[tab])
    return _staff_page(cases, after)


@staff_router.get(
    "/mine",
    response={200: StaffCasePage, **ERRORS},
    tags=[STAFF_TAG],
    summary="My cases (case handlers)",
    operation_id="staff_cases_mine",
)
def my_cases(request: HttpRequest, after: str = "") -> StaffCasePage:
    """The open cases assigned to you, newest activity first; 25 a page by keyset."""
    staff = logged_in_staff(request)
    cases = policy.cases_visible_to_staff(staff).filter(handler=staff, status__in=OPEN_STATUSES)
    return _staff_page(cases, after)


@staff_router.get(
    "/{case_id}",
    response={200: StaffCaseOut, **ERRORS},
    tags=[STAFF_TAG],
    summary="One case, with its messages and history (written to the access log)",
    operation_id="staff_cases_get",
)
def get_case(request: HttpRequest, case_id: str) -> StaffCaseOut:
    staff = logged_in_staff(request)
    with _answers_as_http():
        read = actions.read_case_for_staff(staff, case_id)
        case, name_of = read.case, read.name_of
        return StaffCaseOut(
            id=case.pk,
            number=case.number,
            subject=case.subject,
            status=CaseStatus(case.status),
            status_label=str(CaseStatus(case.status).label),
            unit=_unit(case.unit),
            case_type=_type(case.case_type),
            resident=PersonRef(id=case.resident.pk, name=case.resident.full_name),
            by_guardian=case.by_guardian,
            handler=_staff_ref(case.handler),
            answered_by=_staff_ref(case.answered_by),
            created_at=case.created_at,
            last_activity=case.last_activity,
            promised_by=case.promised_by,
            overdue=_overdue(case),
            answers=_answers(case),
            messages=[
                StaffMessageOut(
                    id=m.pk,
                    author=name_of(m.author_id),
                    from_staff=m.author_kind == AuthorKind.STAFF,
                    interim=m.interim,
                    body=m.body,
                    created_at=m.created_at,
                    read_by_resident_at=m.read_by_resident_at,
                    attachments=_files(m),
                )
                for m in read.thread
            ],
            history=[
                HistoryOut(
                    from_status=h.from_status,
                    to_status=h.to_status,
                    by=name_of(h.by_id),
                    at=h.at,
                    reason=h.reason,
                )
                for h in read.history
            ],
            acting_role=policy.acting_role(staff, case),
            may_distribute=policy.can_distribute(staff, case),
            may_send_interim=policy.can_send_interim(staff, case),
            may_answer=policy.can_answer(staff, case),
            may_close=policy.can_close(staff, case),
            handlers=[PersonRef(id=h.pk, name=h.full_name) for h in read.handlers],
            standard_replies=[str(text) for text in (case.case_type.standard_replies or [])],
            answer_options=[str(text) for text in (case.case_type.answer_options or [])],
        )


@staff_router.post(
    "/{case_id}/distribute",
    response={200: CaseStateOut, **ERRORS},
    tags=[STAFF_TAG],
    summary="Distribute (or redistribute) a case to a handler, with an optional interim reply",
    operation_id="staff_cases_distribute",
)
def distribute(request: HttpRequest, case_id: str, payload: DistributeIn) -> CaseStateOut:
    with _answers_as_http(handler="handler_id", body="interim"):
        case = actions.distribute_case(
            staff=logged_in_staff(request),
            case_id=case_id,
            handler_id=payload.handler_id,
            interim=payload.interim,
        )
    return _state(case)


@staff_router.post(
    "/{case_id}/answer",
    response={200: CaseStateOut, **ERRORS},
    tags=[STAFF_TAG],
    summary="Answer a case assigned to you, and close it if asked",
    operation_id="staff_cases_answer",
)
def answer(request: HttpRequest, case_id: str, payload: AnswerIn) -> CaseStateOut:
    return _answer(request, case_id, payload)


def _answer(
    request: HttpRequest, case_id: str, payload: AnswerIn, files: list[UploadedFile] | None = None
) -> CaseStateOut:
    """The JSON and the multipart answer: one action call; a refused file is answered under ``files``."""
    with _answers_as_http(attachments="files"):
        case = actions.answer_case(
            staff=logged_in_staff(request),
            case_id=case_id,
            body=payload.body,
            signature=payload.signature,
            close=payload.close,
            option=payload.option,
            files=files,
        )
    return _state(case)


@staff_router.post(
    "/{case_id}/answer/with-files",
    response={200: CaseStateOut, **ERRORS},
    tags=[STAFF_TAG],
    summary="Answer a case assigned to you, with files (multipart/form-data)",
    operation_id="staff_cases_answer_with_files",
)
def answer_with_files(
    request: HttpRequest, case_id: str, payload: Form[AnswerIn], files: File[list[UploadedFile]]
) -> CaseStateOut:
    return _answer(request, case_id, payload, files)


@staff_router.get(
    "/{case_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    tags=[STAFF_TAG],
    summary="Download a file of a case (written to the access log)",
    operation_id="staff_cases_attachment",
)
def staff_download(request: HttpRequest, case_id: str, attachment_id: str) -> HttpResponse:
    with _answers_as_http(), transaction.atomic():
        found = actions.open_attachment_for_staff(logged_in_staff(request), case_id, attachment_id)
        return attachments.download(found)


@staff_router.post(
    "/{case_id}/close",
    response={200: CaseStateOut, **ERRORS},
    tags=[STAFF_TAG],
    summary="Close a case",
    operation_id="staff_cases_close",
)
def close(request: HttpRequest, case_id: str, payload: CloseIn) -> CaseStateOut:
    with _answers_as_http():
        case = actions.close_case(staff=logged_in_staff(request), case_id=case_id, reason=payload.reason)
    return _state(case)
