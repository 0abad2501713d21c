"""Notifications that other apps ask for. Each call writes outbox rows in the caller's transaction and
sends them after commit (DESIGN.md §8): a rolled-back change sends nothing, a committed one is never
lost (the sweeper, `manage.py send_notifications`, sends whatever a worker left). Nothing here ever
carries content (DESIGN.md §2): the rows say only which fixed text to send to which sealed address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DateTimeField, UUIDField
from django.utils import timezone
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.identity.models import Resident, Staff
from vardkontakt.identity.policy import can_act_for
from vardkontakt.notifications.models import (
    Channel,
    Kind,
    Language,
    Notification,
    ResidentLanguage,
    StaffNotificationPreference,
    UnitNotificationDefaults,
)
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.roles.policy import can_edit_unit_settings
from vardkontakt.statements import Param, Statement

if TYPE_CHECKING:
    from vardkontakt.cases.models import Case
    from vardkontakt.directory.models import Unit


def _queue(rows: list[Notification]) -> list[Notification]:
    """Save ``rows`` now, in the caller's transaction, and enqueue their sending once it commits."""
    if not rows:
        return rows
    Notification.objects.bulk_create(rows)
    ids = [str(row.pk) for row in rows]

    def after_commit() -> None:
        from vardkontakt.notifications.tasks import enqueue

        enqueue(ids)

    transaction.on_commit(after_commit, robust=True)
    return rows


def _row(channel: str, recipient: str, kind: str, language: str, unit: Unit | None = None) -> Notification:
    row = Notification(channel=channel, kind=kind, language=language, unit=unit)
    row.recipient = recipient
    return row


def _rows_for(
    email: str | None, mobile: str | None, kind: str, language: str, unit: Unit | None = None
) -> list[Notification]:
    rows = []
    if email and email.strip():
        rows.append(_row(Channel.EMAIL, email.strip(), kind, language, unit))
    if mobile and mobile.strip():
        rows.append(_row(Channel.SMS, mobile.strip(), kind, language, unit))
    return rows


def resident_language(resident: Resident) -> str:
    stored = ResidentLanguage.objects.filter(resident=resident).values_list("language", flat=True).first()
    return Language.EN if stored == Language.EN else Language.SV


# --- For other apps -----------------------------------------------------------------------------------


def notify_resident_new_message(resident: Resident) -> list[Notification]:
    """ "You have a new message": by e-mail and/or SMS to the addresses the resident gave, if any.

    A child under 13 is reached through the guardians who act for them: the message is theirs to
    read in proxy mode, and a young child rarely has an address of their own."""
    if resident.deceased:
        return []
    guardians = Resident.objects.filter(children_links__child=resident, deceased=False)
    rows: list[Notification] = []
    for person in [resident, *(guardian for guardian in guardians if can_act_for(guardian, resident))]:
        rows += _rows_for(
            person.notify_email, person.notify_mobile, Kind.RESIDENT_NEW_MESSAGE, resident_language(person)
        )
    return _queue(rows)


def _staff_rows(preferences: list[StaffNotificationPreference], kind: str, unit: Unit) -> list[Notification]:
    rows: list[Notification] = []
    for preference in preferences:
        rows += _rows_for(preference.email, preference.mobile, kind, Language.SV, unit)
    return rows


# The preferences of the clinic's case receivers who asked to hear of new cases (every send reads it).
_NEW_CASE_PREFERENCES = Statement(
    lambda: StaffNotificationPreference.objects.filter(
        on_new_case=True,
        staff_id__in=RoleGrant.objects.in_force(
            Param("at", DateTimeField()), role=Role.CASE_RECEIVER, unit_id=Param("unit", UUIDField())
        ).values("staff_id"),
    ).order_by("pk")
)


def notify_staff_new_case(case: Case) -> list[Notification]:
    """A new case at the clinic: to its case receivers who asked for it."""
    preferences = _NEW_CASE_PREFERENCES.all(unit=case.unit_id, at=timezone.now())
    return _queue(_staff_rows(preferences, Kind.STAFF_NEW_CASE, case.unit))


def notify_staff_assigned(case: Case) -> list[Notification]:
    """A case assigned to a handler: to that handler, if they asked for it."""
    if case.handler_id is None:
        return []
    preferences = list(
        StaffNotificationPreference.objects.filter(staff_id=case.handler_id, on_assignment=True)
    )
    return _queue(_staff_rows(preferences, Kind.STAFF_ASSIGNED, case.unit))


# --- Their own settings ---------------------------------------------------------------------------------


@transaction.atomic
def set_staff_preferences(
    staff: Staff, *, email: str, mobile: str, on_new_case: bool, on_assignment: bool
) -> StaffNotificationPreference:
    """A member of staff sets their own notification addresses and choices."""
    preference, _created = StaffNotificationPreference.objects.select_for_update().get_or_create(staff=staff)
    preference.email = email.strip()
    preference.mobile = mobile.strip()
    preference.on_new_case = on_new_case
    preference.on_assignment = on_assignment
    preference.updated_at = timezone.now()
    preference.save()
    return preference


def remember_language(resident: Resident, language: str) -> None:
    """The language the resident last used, for their next notifications."""
    if language not in Language.values:
        return
    ResidentLanguage.objects.update_or_create(
        resident=resident, defaults={"language": language, "updated_at": timezone.now()}
    )


# --- The clinic's defaults --------------------------------------------------------------------------------


@transaction.atomic
def set_unit_notification_defaults(
    actor: Staff, unit: Unit, *, on_new_case: bool, on_assignment: bool
) -> UnitNotificationDefaults:
    """A local administrator sets the notification choices the clinic's staff are offered until they
    save their own (UnitNotificationDefaults). Logged in the access log as a change of the unit."""
    if not can_edit_unit_settings(actor, unit):
        raise PermissionDenied(_("Du får inte ändra mottagningens inställningar."))
    defaults, _created = UnitNotificationDefaults.objects.select_for_update().get_or_create(unit=unit)
    defaults.on_new_case = on_new_case
    defaults.on_assignment = on_assignment
    defaults.updated_at = timezone.now()
    defaults.save()
    record(
        actor=actor.user,
        action="unit.notification_defaults",
        object_type="Unit",
        object_id=unit.pk,
        unit=unit,
    )
    return defaults


def default_choices_for(staff: Staff) -> dict[str, bool]:
    """The choices a member without their own preference is offered: on where any clinic at which
    they hold a role in force has it on."""
    units = RoleGrant.objects.in_force().filter(staff=staff, unit__isnull=False).values("unit_id")
    found = UnitNotificationDefaults.objects.filter(unit_id__in=units)
    return {
        "on_new_case": found.filter(on_new_case=True).exists(),
        "on_assignment": found.filter(on_assignment=True).exists(),
    }
