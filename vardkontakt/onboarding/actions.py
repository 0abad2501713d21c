"""Every change in a unit's lifecycle, its agreements and its local-admin requests.

Each action checks policy, runs in one transaction, writes its history row (``ConnectionChange``, or
the decision on the request) and sends e-mail only after commit. The lifecycle moves only through
``_transition``, which obeys ``models.TRANSITIONS`` and keeps ``Unit.status`` (the directory's
projection) in step."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.cases.actions import activate_case_type, clean_text, open_cases
from vardkontakt.cases.models import CaseType
from vardkontakt.directory.actions import set_eservices
from vardkontakt.directory.models import Agreement, CareProvider, EService, Unit, UnitEService, UnitStatus
from vardkontakt.identity.actions import create_staff
from vardkontakt.identity.hsa import normalize_hsa_id
from vardkontakt.identity.models import Staff
from vardkontakt.ids import first_by_id
from vardkontakt.onboarding import policy
from vardkontakt.onboarding.models import (
    REASON_MAX,
    TRANSITIONS,
    Application,
    Connection,
    ConnectionChange,
    Decision,
    Lifecycle,
    LocalAdminRequest,
    ProposedAdmin,
    token_digest,
)
from vardkontakt.roles.actions import end_grants_at_unit, grant_local_admin_by_region
from vardkontakt.roles.models import Role, RoleGrant

log = logging.getLogger("vardkontakt.onboarding")

NAME_MAX = 100
APPLICANT_NAME_MAX = 200
MAX_PROPOSED_ADMINS = 3
AGREEMENT_REFERENCE_MAX = 100

# --- The state machine ------------------------------------------------------------------------------


def state_of(unit: Unit) -> str:
    """The unit's lifecycle state. A unit the directory had connected before this app existed (the demo
    seed, an older installation) has no row yet: its state is read from ``Unit.status``."""
    found = Connection.objects.filter(unit=unit).values_list("state", flat=True).first()
    if found is not None:
        return found
    return _initial_state(unit)


def _initial_state(unit: Unit) -> str:
    return {UnitStatus.ACTIVE: Lifecycle.ACTIVE, UnitStatus.INACTIVE: Lifecycle.INACTIVE}.get(
        UnitStatus(unit.status), Lifecycle.NOT_APPLIED
    )


def _lock_connection(unit: Unit) -> Connection:
    """The unit's lifecycle row, locked for this transaction (created in its initial state)."""
    connection = Connection.objects.select_for_update().filter(unit=unit).first()
    if connection is None:
        try:
            with transaction.atomic():
                Connection.objects.create(unit=unit, state=_initial_state(unit))
        except IntegrityError:  # created meanwhile by a concurrent request: lock that one
            pass
        connection = Connection.objects.select_for_update().get(unit=unit)
    return connection


def _transition(
    connection: Connection,
    to: str,
    *,
    by: Staff | None,
    reason: str = "",
    application: Application | None = None,
) -> ConnectionChange:
    """Move ``connection`` to ``to`` if the table allows it; write the history row; keep the
    directory's projection (``Unit.status``) in step."""
    if to not in TRANSITIONS[connection.state]:
        raise ValidationError(
            _("Enheten kan inte gå från läget ”%(from)s” till ”%(to)s”.")
            % {"from": Lifecycle(connection.state).label, "to": Lifecycle(to).label},
            code="transition",
        )
    change = ConnectionChange.objects.create(
        unit_id=connection.unit_id,
        from_state=connection.state,
        to_state=to,
        by=by,
        reason=reason[:REASON_MAX],
        application=application,
    )
    connection.state = to
    connection.changed_at = change.at
    connection.save(update_fields=["state", "changed_at"])
    projected = {Lifecycle.ACTIVE: UnitStatus.ACTIVE, Lifecycle.INACTIVE: UnitStatus.INACTIVE}.get(
        Lifecycle(to)
    )
    if projected is not None:
        Unit.objects.filter(pk=connection.unit_id).update(status=projected)
    return change


def _reason(value: str, *, field: str = "reason", required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("Skriv ett skäl.")}, code="required")
    if len(text) > REASON_MAX:
        raise ValidationError(
            {field: _("Texten är för lång: högst %(max)d tecken.") % {"max": REASON_MAX}}, code="too_long"
        )
    return text


# --- E-mail to the applicant, after commit ----------------------------------------------------------


def _mail_after_commit(application: Application, template: str, context: dict[str, object]) -> None:
    """Render the e-mail now (in the applicant's language) and send it once the transaction commits.

    Sent directly rather than through the task queue, so that the receipt's status link, which is
    stored nowhere, never lands in a queue table. A failed send is logged and does not undo anything."""
    with translation.override(application.language):
        subject = render_to_string(f"onboarding/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"onboarding/email/{template}.txt", context)
    transaction.on_commit(
        partial(_send, application.pk, subject, body, application.contact_email), robust=True
    )


def _send(application_id: object, subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception as exc:
        log.error("application %s: e-mail not sent: %s", application_id, type(exc).__name__)


def _staff_for(hsa_id: str, given_name: str, family_name: str) -> Staff:
    """The member of staff with ``hsa_id``, created (inside the caller's transaction) if never seen."""
    return Staff.objects.filter(hsa_id=hsa_id).first() or create_staff(
        hsa_id, given_name=given_name, family_name=family_name
    )


# --- Connection applications ------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminProposal:
    hsa_id: str
    given_name: str
    family_name: str


def _person_hsa_id(value: str, field: str) -> str:
    try:
        hsa_id = normalize_hsa_id(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}, code="hsa_id") from None
    if Unit.objects.filter(hsa_id=hsa_id).exists() or CareProvider.objects.filter(hsa_id=hsa_id).exists():
        raise ValidationError(
            {field: _("HSA-id:t tillhör en vårdenhet eller vårdgivare, inte en person.")}, code="not_person"
        )
    return hsa_id


def _name(value: str, field: str, maximum: int = NAME_MAX) -> str:
    return clean_text(value, field=field, maximum=maximum)


def _services(values: Sequence[str]) -> list[str]:
    chosen = set(values)
    if not chosen or not chosen <= set(EService.values):
        raise ValidationError({"services": _("Välj minst en e-tjänst.")}, code="services")
    return [service for service in EService.values if service in chosen]


def _clean_admins(admins: Sequence[AdminProposal]) -> list[AdminProposal]:
    cleaned: list[AdminProposal] = []
    errors: dict[str, list[str]] = {}
    for index, admin in enumerate(admins, start=1):
        try:
            hsa_id = _person_hsa_id(admin.hsa_id, f"admin{index}_hsa_id")
            if hsa_id in {done.hsa_id for done in cleaned}:
                raise ValidationError(
                    {f"admin{index}_hsa_id": _("Samma person står två gånger.")}, code="duplicate"
                )
            cleaned.append(
                AdminProposal(
                    hsa_id,
                    _name(admin.given_name, f"admin{index}_given_name"),
                    _name(admin.family_name, f"admin{index}_family_name"),
                )
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError({"admin1_hsa_id": _("Föreslå minst en lokal administratör.")}, code="no_admin")
    if len(cleaned) > MAX_PROPOSED_ADMINS:
        raise ValidationError(
            {
                "admin1_hsa_id": _("Föreslå högst %(max)d lokala administratörer.")
                % {"max": MAX_PROPOSED_ADMINS}
            }
        )
    return cleaned


def _unit_by_hsa_id(value: str) -> Unit:
    try:
        hsa_id = normalize_hsa_id(value)
    except ValidationError as error:
        raise ValidationError({"unit_hsa_id": error.messages}, code="hsa_id") from None
    unit = Unit.objects.filter(hsa_id=hsa_id).select_related("region").first()
    if unit is None:
        raise ValidationError(
            {"unit_hsa_id": _("Det finns ingen vårdenhet med det HSA-id:t i katalogen.")}, code="unknown_unit"
        )
    return unit


def _refuse_without_agreement(unit: Unit, field: str | None = "unit_hsa_id") -> None:
    if not Agreement.objects.in_force().filter(unit=unit).exists():
        message = _("Enheten har inget avtal med regionen som gäller i dag. Kontakta regionen om avtal.")
        raise ValidationError({field: message} if field else message, code="no_agreement")


def _refuse_unless_may_apply(state: str) -> None:
    if Lifecycle.APPLIED in TRANSITIONS[state]:
        return
    if state == Lifecycle.APPLIED:
        message = _("Det finns redan en ansökan för enheten som väntar på beslut.")
    else:
        message = _("Enheten är redan ansluten till Vårdkontakt.")
    raise ValidationError({"unit_hsa_id": message}, code="not_applicable")


@transaction.atomic
def submit_application(
    *,
    unit_hsa_id: str,
    applicant_name: str,
    contact_email: str,
    admins: Sequence[AdminProposal],
    services: Sequence[str],
    language: str,
    base_url: str,
) -> Application:
    """The head of a unit applies to connect it. Anyone may submit (there is no login for someone
    without a role); the applicant follows the application through the link e-mailed to the contact
    address, and the region checks the application with the unit before deciding."""
    errors: dict[str, list[str]] = {}
    unit: Unit | None = None
    cleaned_admins: list[AdminProposal] = []
    try:
        unit = _unit_by_hsa_id(unit_hsa_id)
        _refuse_without_agreement(unit)
        _refuse_unless_may_apply(state_of(unit))
    except ValidationError as error:
        errors.update(error.message_dict)
    checks = [
        lambda: _name(applicant_name, "applicant_name", APPLICANT_NAME_MAX),
        lambda: _email(contact_email),
        lambda: _services(services),
    ]
    for check in checks:
        try:
            check()
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        cleaned_admins = _clean_admins(admins)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors or unit is None:
        raise ValidationError(errors)

    connection = _lock_connection(unit)
    _refuse_unless_may_apply(connection.state)  # again, under the lock
    token = secrets.token_urlsafe(32)
    application = Application(
        unit=unit,
        applicant_name=_name(applicant_name, "applicant_name", APPLICANT_NAME_MAX),
        language="en" if language.startswith("en") else "sv",
        services=_services(services),
        token_digest=token_digest(token),
    )
    application.contact_email = _email(contact_email)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ValidationError(
            {"unit_hsa_id": _("Det finns redan en ansökan för enheten som väntar på beslut.")}, code="pending"
        ) from None
    ProposedAdmin.objects.bulk_create(
        ProposedAdmin(
            application=application, hsa_id=a.hsa_id, given_name=a.given_name, family_name=a.family_name
        )
        for a in cleaned_admins
    )
    _transition(connection, Lifecycle.APPLIED, by=None, application=application)
    status_url = base_url.rstrip("/") + reverse("onboarding_public:status", args=[token])
    _mail_after_commit(
        application, "received", {"unit": unit, "status_url": status_url, "application": application}
    )
    return application


def _email(value: str) -> str:
    text = (value or "").strip()
    try:
        validate_email(text)
    except ValidationError:
        raise ValidationError(
            {"contact_email": _("Skriv en e-postadress, till exempel namn@region.se.")}, code="email"
        ) from None
    return text


def application_by_token(token: str) -> Application | None:
    """The application a status link names, or None (a wrong link looks like an unknown one)."""
    if not token or len(token) > 100:
        return None
    return Application.objects.select_related("unit").filter(token_digest=token_digest(token)).first()


def _lock_application(actor: Staff, application_id: object) -> Application:
    application = first_by_id(
        policy.applications_visible_to(actor).select_related("unit__region").select_for_update(of=("self",)),
        application_id,
    )
    if application is None:
        raise Http404
    if not policy.can_decide_application(actor, application):
        raise PermissionDenied(_("Du får inte besluta om den här ansökan."))
    if application.decision != Decision.PENDING:
        raise ValidationError(_("Ansökan är redan avgjord."), code="decided")
    return application


def _decide(
    found: Application | LocalAdminRequest,
    actor: Staff,
    decision: str,
    reason: str = "",
    also: tuple[str, ...] = (),
) -> None:
    """Record the decision on an application or a local-admin request (``also``: other fields set)."""
    found.decision = decision
    found.decided_by = actor
    found.decided_at = timezone.now()
    found.decision_reason = reason
    found.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason", *also])


@transaction.atomic
def approve_application(actor: Staff, application_id: object) -> Application:
    """Approve and connect: the unit becomes active with the chosen e-services, gets the basic
    services (central case types) if it takes cases, and the proposed local administrators. The
    applicant is told by e-mail once this has committed."""
    application = _lock_application(actor, application_id)
    unit = application.unit
    connection = _lock_connection(unit)
    _refuse_without_agreement(unit, field=None)
    _transition(connection, Lifecycle.APPROVED, by=actor, application=application)
    _decide(application, actor, Decision.APPROVED)
    activate_connection(actor, unit.pk)
    reference = f"Anslutningsansökan {application.pk}"
    for proposal in application.admins.order_by("pk"):
        staff = _staff_for(proposal.hsa_id, proposal.given_name, proposal.family_name)
        if not _holds_local_admin(staff, unit):
            grant_local_admin_by_region(actor, staff, unit, reference=reference)
    _mail_after_commit(
        application,
        "approved",
        {
            "unit": unit,
            "services": [EService(s).label for s in application.services],
            "admins": list(application.admins.order_by("pk")),
        },
    )
    return application


def _holds_local_admin(staff: Staff, unit: Unit) -> bool:
    """An open LOCAL_ADMIN grant (in force, or not begun): a second one would only duplicate it."""
    return RoleGrant.objects.not_ended().filter(staff=staff, unit=unit, role=Role.LOCAL_ADMIN).exists()


@transaction.atomic
def activate_connection(actor: Staff, unit_id: object) -> Unit:
    """An approved unit goes live: ACTIVE in the directory, exactly the e-services of its approved
    application active, and the basic services (basutbud) when it takes cases."""
    unit = first_by_id(policy.units_visible_to(actor), unit_id)
    if unit is None:
        raise Http404
    if not policy.is_region_admin_of(actor, unit):
        raise PermissionDenied(_("Du får inte ansluta den här enheten."))
    connection = _lock_connection(unit)
    if connection.state != Lifecycle.APPROVED:  # ACTIVE is also reached by a cancelled deactivation
        raise ValidationError(_("Enheten har ingen godkänd ansökan att ansluta."), code="transition")
    application = (
        Application.objects.filter(unit=unit, decision=Decision.APPROVED).order_by("-decided_at").first()
    )
    if application is None:
        raise ValidationError(_("Enheten har ingen godkänd ansökan."), code="no_application")
    _transition(connection, Lifecycle.ACTIVE, by=actor, application=application)
    set_eservices(unit, frozenset(application.services))
    if EService.CASES in application.services:
        for case_type in CaseType.objects.filter(basic=True, unit__isnull=True):
            activate_case_type(unit, case_type)
    unit.refresh_from_db()
    return unit


@transaction.atomic
def reject_application(actor: Staff, application_id: object, reason: str) -> Application:
    """Refuse the application, with the reason the applicant is told by e-mail."""
    text = _reason(reason)
    application = _lock_application(actor, application_id)
    connection = _lock_connection(application.unit)
    _transition(connection, Lifecycle.REJECTED, by=actor, reason=text, application=application)
    _decide(application, actor, Decision.REJECTED, text)
    _mail_after_commit(application, "rejected", {"unit": application.unit, "reason": text})
    return application


# --- Deactivation -----------------------------------------------------------------------------------


def _visible_unit(actor: Staff, unit_id: object) -> Unit:
    unit = first_by_id(policy.units_visible_to(actor).select_related("region"), unit_id)
    if unit is None:
        raise Http404
    return unit


@transaction.atomic
def request_deactivation(actor: Staff, unit_id: object, reason: str) -> ConnectionChange:
    """The unit (its local administrator or unit manager) asks to leave the platform."""
    unit = _visible_unit(actor, unit_id)
    if not policy.can_request_deactivation(actor, unit):
        raise PermissionDenied(_("Du får inte begära att enheten inaktiveras."))
    text = _reason(reason)
    return _transition(_lock_connection(unit), Lifecycle.DEACTIVATION_REQUESTED, by=actor, reason=text)


@transaction.atomic
def cancel_deactivation(actor: Staff, unit_id: object, reason: str) -> ConnectionChange:
    """The unit withdraws its request to leave, or the region declines it: the unit stays active."""
    unit = _visible_unit(actor, unit_id)
    if not policy.can_cancel_deactivation(actor, unit):
        raise PermissionDenied(_("Du får inte avbryta inaktiveringen."))
    text = _reason(reason)
    connection = _lock_connection(unit)
    if connection.state != Lifecycle.DEACTIVATION_REQUESTED:
        raise ValidationError(_("Ingen inaktivering är begärd för enheten."), code="transition")
    return _transition(connection, Lifecycle.ACTIVE, by=actor, reason=text)


class DeactivationBlocked(ValidationError):
    """The unit has open cases. ``blockers`` holds their numbers by group (``cases.actions.open_cases``)."""

    def __init__(self, blockers: dict[str, list[str]]) -> None:
        super().__init__(_("Enheten kan inte inaktiveras medan den har öppna ärenden."), code="open_cases")
        self.blockers = blockers


@transaction.atomic
def deactivate_unit(actor: Staff, unit_id: object, reason: str = "") -> ConnectionChange:
    """The region carries out a requested deactivation, once no case at the unit is open.

    The unit becomes INACTIVE in the directory, its e-services leave the contact card, residents can
    no longer start cases there, every role at the unit ends (revoked by ``actor``), and pending
    local-admin requests are closed. Cases and their history stay for those entitled to read them."""
    unit = _visible_unit(actor, unit_id)
    if not policy.can_deactivate(actor, unit):
        raise PermissionDenied(_("Du får inte inaktivera enheten."))
    text = _reason(reason, required=False)
    connection = _lock_connection(unit)
    if connection.state != Lifecycle.DEACTIVATION_REQUESTED:
        raise ValidationError(_("Enheten har inte begärt att inaktiveras."), code="transition")
    # Before looking for open cases: a case being sent holds the unit row in share mode
    # (cases.actions.send_case), so this waits for it, and later sends see the unit inactive.
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    blockers = open_cases(unit)
    if any(blockers.values()):
        raise DeactivationBlocked(blockers)
    change = _transition(connection, Lifecycle.INACTIVE, by=actor, reason=text)
    UnitEService.objects.filter(unit=unit, active=True).update(active=False)
    end_grants_at_unit(actor, unit)
    now = timezone.now()
    LocalAdminRequest.objects.filter(unit=unit, decision=Decision.PENDING).update(
        decision=Decision.REJECTED,
        decided_by=actor,
        decided_at=now,
        decision_reason=_("Enheten har inaktiverats."),
    )
    return change


# --- Local administrators on request ---------------------------------------------------------------


@transaction.atomic
def request_local_admin(
    actor: Staff, unit_id: object, *, hsa_id: str, given_name: str, family_name: str, reason: str = ""
) -> LocalAdminRequest:
    """A unit manager asks the region to appoint a local administrator at a connected unit."""
    unit = _visible_unit(actor, unit_id)
    if not policy.can_request_local_admin(actor, unit):
        raise PermissionDenied(_("Du får inte begära lokala administratörer för enheten."))
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, check in (
        ("hsa_id", lambda: _person_hsa_id(hsa_id, "hsa_id")),
        ("given_name", lambda: _name(given_name, "given_name")),
        ("family_name", lambda: _name(family_name, "family_name")),
        ("reason", lambda: _reason(reason, required=False)),
    ):
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if _lock_connection(unit).state != Lifecycle.ACTIVE:
        raise ValidationError(_("Enheten är inte ansluten."), code="not_connected")
    existing = Staff.objects.filter(hsa_id=cleaned["hsa_id"]).first()
    if existing is not None and _holds_local_admin(existing, unit):
        raise ValidationError({"hsa_id": _("Personen är redan lokal administratör här.")}, code="holds")
    try:
        with transaction.atomic():
            return LocalAdminRequest.objects.create(unit=unit, requested_by=actor, **cleaned)
    except IntegrityError:
        raise ValidationError(
            {"hsa_id": _("Det finns redan en begäran för den personen som väntar på beslut.")}, code="pending"
        ) from None


def _lock_request(actor: Staff, request_id: object) -> LocalAdminRequest:
    found = first_by_id(
        policy.local_admin_requests_visible_to(actor)
        .select_related("unit__region")
        .select_for_update(of=("self",)),
        request_id,
    )
    if found is None:
        raise Http404
    if not policy.can_decide_local_admin_request(actor, found):
        raise PermissionDenied(_("Du får inte besluta om den här begäran."))
    if found.decision != Decision.PENDING:
        raise ValidationError(_("Begäran är redan avgjord."), code="decided")
    return found


@transaction.atomic
def approve_local_admin_request(actor: Staff, request_id: object) -> LocalAdminRequest:
    """Grant LOCAL_ADMIN as asked (also when the unit has one), the request as the grant's reference."""
    found = _lock_request(actor, request_id)
    if _lock_connection(found.unit).state != Lifecycle.ACTIVE:
        raise ValidationError(_("Enheten är inte ansluten."), code="not_connected")
    staff = _staff_for(found.hsa_id, found.given_name, found.family_name)
    if _holds_local_admin(staff, found.unit):
        raise ValidationError(_("Personen är redan lokal administratör här."), code="holds")
    found.grant = grant_local_admin_by_region(actor, staff, found.unit, reference=found.reference)
    _decide(found, actor, Decision.APPROVED, also=("grant",))
    return found


@transaction.atomic
def reject_local_admin_request(actor: Staff, request_id: object, reason: str) -> LocalAdminRequest:
    text = _reason(reason)
    found = _lock_request(actor, request_id)
    _decide(found, actor, Decision.REJECTED, text)
    return found


# --- Agreements -------------------------------------------------------------------------------------


def _agreement_unit(actor: Staff, unit_id: object) -> Unit:
    unit = _visible_unit(actor, unit_id)
    if not policy.can_administer_agreements(actor, unit):
        raise PermissionDenied(_("Du får inte ändra enhetens avtal."))
    return unit


@transaction.atomic
def add_agreement(
    actor: Staff, unit_id: object, *, valid_from: date, valid_to: date | None, reference: str
) -> Agreement:
    """Record the unit's agreement with the region. Periods of one unit's agreements do not overlap."""
    unit = _agreement_unit(actor, unit_id)
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one writer of a unit's agreements
    text = (reference or "").strip()
    if not text:
        raise ValidationError({"reference": _("Ange avtalets diarienummer.")}, code="required")
    if len(text) > AGREEMENT_REFERENCE_MAX:
        raise ValidationError(
            {"reference": _("Texten är för lång: högst %(max)d tecken.") % {"max": AGREEMENT_REFERENCE_MAX}}
        )
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": _("Sista dagen kan inte vara före första dagen.")}, code="period")
    overlapping = Agreement.objects.filter(unit=unit).exclude(valid_to__lt=valid_from)
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if overlapping.exists():
        raise ValidationError(
            {"valid_from": _("Perioden överlappar ett annat avtal för enheten.")}, code="overlap"
        )
    agreement = Agreement.objects.create(unit=unit, valid_from=valid_from, valid_to=valid_to, reference=text)
    record(
        actor=actor.user, action="agreement.add", object_type="Agreement", object_id=agreement.pk, unit=unit
    )
    return agreement


@transaction.atomic
def end_agreement(actor: Staff, unit_id: object, agreement_id: object, *, last_day: date) -> Agreement:
    """End an agreement on ``last_day`` (today or later, and not before it began)."""
    unit = _agreement_unit(actor, unit_id)
    ident = _int(agreement_id)
    agreement = (
        None if ident is None else Agreement.objects.select_for_update().filter(unit=unit, pk=ident).first()
    )
    if agreement is None:
        raise Http404
    if last_day < timezone.localdate():
        raise ValidationError({"last_day": _("Ett avtal kan inte avslutas bakåt i tiden.")}, code="past")
    if last_day < agreement.valid_from:
        raise ValidationError({"last_day": _("Sista dagen kan inte vara före första dagen.")}, code="period")
    if agreement.valid_to is not None and agreement.valid_to < timezone.localdate():
        raise ValidationError({"last_day": _("Avtalet har redan upphört.")}, code="ended")
    agreement.valid_to = last_day
    agreement.save(update_fields=["valid_to"])
    record(
        actor=actor.user, action="agreement.end", object_type="Agreement", object_id=agreement.pk, unit=unit
    )
    return agreement


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
