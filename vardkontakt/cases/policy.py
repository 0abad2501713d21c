"""Who may see and do what with a case: DESIGN.md §2, in one place.

A case can be read only by the resident it concerns (or a guardian acting for a child under 13, via
identity.access.acting_resident, except at a unit where a unit manager has blocked that guardian),
the clinic's case receivers, and the case handler it is assigned to
or who answered it, while they hold that role at the clinic. For anyone else the case does not exist:
the same 404 as for a wrong id. Lists and detail pages use the same querysets."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import DateField, DateTimeField, Exists, OuterRef, Q, QuerySet, UUIDField
from django.utils import timezone

from vardkontakt.cases.models import OPEN_STATUSES, Case, CaseStatus, CaseType
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import GuardianBlock, Resident, Staff, User
from vardkontakt.identity.policy import can_act_for
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.roles.policy import has_role, unit_ids_where, units_where
from vardkontakt.statements import Param, Statement


def own_cases(resident: Resident | Param) -> QuerySet[Case]:
    """The cases a resident sees as themself: every case of theirs (``resident`` may be a Param)."""
    return Case.objects.filter(resident=resident)  # type: ignore[misc]


def cases_of_resident(resident: Resident, *, by: User | None = None) -> QuerySet[Case]:
    """The cases of ``resident`` that ``by`` may see: all of them when ``by`` is the resident (or not
    given: the resident's own session); for a guardian acting for a child under 13, the child's cases
    except at the units where a unit manager has blocked that guardian; for anyone else, none."""
    cases = own_cases(resident)
    if by is None or by.pk == resident.user_id:
        return cases
    guardian = Resident.objects.filter(user_id=by.pk).first()
    if guardian is None or not can_act_for(guardian, resident):
        return cases.none()
    blocks = (
        GuardianBlock.objects.in_force()
        .holding_at(OuterRef("unit"))
        .filter(guardian=guardian, child=resident)
    )
    return cases.exclude(Exists(blocks))


def guardian_blocked_at(by: User, resident: Resident, unit: Unit) -> bool:
    """Is ``by`` a guardian blocked from acting for ``resident`` at ``unit`` (or at every unit)?"""
    if by.pk == resident.user_id:
        return False
    return (
        GuardianBlock.objects.in_force()
        .holding_at(unit)
        .filter(guardian__user_id=by.pk, child=resident)
        .exists()
    )


def reads_at(staff: Staff, unit: Unit) -> str | None:
    """Which of a clinic's cases ``staff`` reads there: "all" as its case receiver, "own" (assigned to
    them or answered by them) as its case handler, or none."""
    if has_role(staff, Role.CASE_RECEIVER, unit=unit):
        return "all"
    if has_role(staff, Role.CASE_HANDLER, unit=unit):
        return "own"
    return None


def staff_may_read(staff: Staff, case: Case) -> bool:
    """May ``staff`` read ``case``, already loaded? The same answer as whether the case is among
    ``cases_visible_to_staff(staff)``, from the roles held at the case's clinic."""
    reads = reads_at(staff, case.unit)
    return reads == "all" or (reads == "own" and staff.pk in (case.handler_id, case.answered_by_id))


def cases_read_at(unit: Unit | Param, reads: str | None, staff: Staff | Param) -> QuerySet[Case]:
    """The cases of ``unit`` that someone who reads ``reads`` there (reads_at) sees, ``staff`` being
    who they are (each a value or, in a Statement, a Param)."""
    at_unit = Case.objects.filter(unit=unit)  # type: ignore[misc]
    if reads == "all":
        return at_unit
    if reads == "own":
        return at_unit.filter(Q(handler=staff) | Q(answered_by=staff))
    return at_unit.none()


def cases_visible_to_staff(staff: Staff, *, unit: Unit | None = None) -> QuerySet[Case]:
    """The cases ``staff`` may read; with ``unit``, those of that clinic only: the same rows as
    ``cases_visible_to_staff(staff).filter(unit=unit)``, with the roles held there answered from the
    request's grants (roles.policy) instead of a subquery."""
    if unit is not None:
        return cases_read_at(unit, reads_at(staff, unit), staff)
    receiver_units = unit_ids_where(staff, Role.CASE_RECEIVER)
    handler_units = unit_ids_where(staff, Role.CASE_HANDLER)
    return Case.objects.filter(
        Q(unit_id__in=receiver_units)
        | (Q(unit_id__in=handler_units) & (Q(handler=staff) | Q(answered_by=staff)))
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


def _handlers(unit_id: object, at: object) -> QuerySet[Staff]:
    grants = RoleGrant.objects.in_force(at, unit_id=unit_id, role=Role.CASE_HANDLER)
    return Staff.objects.filter(pk__in=grants.values("staff_id")).order_by("family_name", "given_name")


_HANDLERS = Statement(lambda: _handlers(Param("unit", UUIDField()), Param("at", DateTimeField())))


def handlers_at(case: Case) -> QuerySet[Staff]:
    """Who a case at this clinic can be distributed to."""
    return _handlers(case.unit_id, timezone.now())


def send_handler_list(case: Case) -> Callable[[], list[Staff]]:
    """``handlers_at(case)`` as a list, by a statement compiled once (the case page's read): the query
    is sent now (see ``statements.pipeline``), the list read when the returned function is called."""
    return _HANDLERS.send(unit=case.unit_id, at=timezone.now()).result


def resident_may_reply(case: Case) -> bool:
    return case.resident_may_reply and case.status != CaseStatus.CLOSED


# --- Clinic settings: case types and residents approved for contact (LOCAL_ADMIN) --------------------


def units_for_case_settings(staff: Staff) -> QuerySet[Unit]:
    """The clinics whose case types and approved residents ``staff`` manages: where they are LOCAL_ADMIN."""
    return units_where(staff, Role.LOCAL_ADMIN)


def local_case_types_visible_to(staff: Staff) -> QuerySet[CaseType]:
    """Local case types ``staff`` may edit: those of the clinics where they are LOCAL_ADMIN."""
    return CaseType.objects.filter(unit__in=units_for_case_settings(staff).values("id"))


def _choosable(unit: object, resident: object, today: object) -> Q:
    """The types ``resident`` may choose at ``unit``: active there, not the reverse flow's, and, if
    restricted, handed to this resident until ``today`` or later (each a value or, in a Statement, a
    Param)."""
    handed = Q(grants__resident=resident, grants__until__gte=today)
    return Q(units__unit=unit, units__active=True, outbound=False) & (Q(restricted=False) | handed)


def case_types_for(unit: Unit, resident: Resident) -> QuerySet[CaseType]:
    """The types ``resident`` may choose at ``unit`` (_choosable), by name."""
    return (
        CaseType.objects.filter(_choosable(unit, resident, timezone.localdate())).distinct().order_by("name")
    )


_CHOOSABLE = Statement(
    lambda: CaseType.objects.filter(
        _choosable(Param("unit", UUIDField()), Param("resident", UUIDField()), Param("today", DateField())),
        pk=Param("type", UUIDField()),
    ).values_list("pk", flat=True)[:1]
)


def may_choose(unit: Unit, resident: Resident, case_type: CaseType) -> bool:
    """Is ``case_type`` one of ``case_types_for(unit, resident)``? The same rule, asked for one type."""
    today = timezone.localdate()
    return _CHOOSABLE.first(unit=unit.pk, resident=resident.pk, today=today, type=case_type.pk) is not None
