"""Who may see and do what with a case: DESIGN.md §2, in one place.

A case can be read only by the resident it concerns (or a guardian acting for a child under 13, via
identity.access.acting_resident), the clinic's case receivers, and the case handler it is assigned to
or who answered it, while they hold that role at the clinic. For anyone else the case does not exist:
the same 404 as for a wrong id. Lists and detail pages use the same querysets."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from vardkontakt.cases.models import OPEN_STATUSES, Case, CaseStatus
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import has_role, units_where


def cases_of_resident(resident: Resident) -> QuerySet[Case]:
    return Case.objects.filter(resident=resident)


def cases_visible_to_staff(staff: Staff) -> QuerySet[Case]:
    receiver_units = units_where(staff, Role.CASE_RECEIVER).values("id")
    handler_units = units_where(staff, Role.CASE_HANDLER).values("id")
    return Case.objects.filter(
        Q(unit__in=receiver_units) | (Q(unit__in=handler_units) & (Q(handler=staff) | Q(answered_by=staff)))
    )


def acting_role(staff: Staff, case: Case) -> str:
    """The role in which ``staff`` reads ``case`` (for the access log)."""
    if has_role(staff, Role.CASE_RECEIVER, unit=case.unit):
        return Role.CASE_RECEIVER
    return Role.CASE_HANDLER


def can_distribute(staff: Staff, case: Case) -> bool:
    """Receivers distribute any open case of their clinic; a handler redistributes their own."""
    if case.status not in OPEN_STATUSES:
        return False
    if has_role(staff, Role.CASE_RECEIVER, unit=case.unit):
        return True
    return case.handler_id == staff.pk and has_role(staff, Role.CASE_HANDLER, unit=case.unit)


def can_answer(staff: Staff, case: Case) -> bool:
    """The handler the case is assigned to answers it, while they hold the role."""
    return (
        case.status in OPEN_STATUSES
        and case.handler_id == staff.pk
        and has_role(staff, Role.CASE_HANDLER, unit=case.unit)
    )


def can_send_interim(staff: Staff, case: Case) -> bool:
    return case.status in OPEN_STATUSES and (
        has_role(staff, Role.CASE_RECEIVER, unit=case.unit) or can_answer(staff, case)
    )


def can_close(staff: Staff, case: Case) -> bool:
    return case.status != CaseStatus.CLOSED and (
        can_answer(staff, case) or has_role(staff, Role.CASE_RECEIVER, unit=case.unit)
    )


def handlers_at(case: Case) -> QuerySet[Staff]:
    """Who a case at this clinic can be distributed to."""
    from vardkontakt.roles.models import RoleGrant

    grants = RoleGrant.objects.in_force().filter(unit=case.unit, role=Role.CASE_HANDLER)
    return Staff.objects.filter(grants__in=grants).distinct().order_by("family_name", "given_name")


def resident_may_reply(case: Case) -> bool:
    return case.resident_may_reply and case.status != CaseStatus.CLOSED
