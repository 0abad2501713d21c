"""State changes of a resident's own account."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from vardkontakt.identity import policy
from vardkontakt.identity.models import GuardianBlock, Guardianship, Resident, Staff, User, UserKind
from vardkontakt.identity.register import resident_by_personnummer
from vardkontakt.ids import first_by_id


@transaction.atomic
def record_consent(resident: Resident) -> None:
    """First login: the resident consents to digital communication and accepts the terms."""
    Resident.objects.filter(pk=resident.pk, consented_at__isnull=True).update(consented_at=timezone.now())


@transaction.atomic
def set_notification_addresses(resident: Resident, *, email: str, mobile: str) -> None:
    """Where content-free notifications go. Only the resident changes these (after a step-up)."""
    locked = Resident.objects.select_for_update().get(pk=resident.pk)
    locked.notify_email = email
    locked.notify_mobile = mobile
    locked.save(update_fields=["notify_email_sealed", "notify_mobile_sealed"])


@transaction.atomic
def create_staff(hsa_id: str, *, given_name: str, family_name: str) -> Staff:
    """Add a member of staff who has never logged in, so that a role can be granted to them before their
    first SITHS login (which finds them by HSA-id). ``hsa_id`` must be canonical and not yet known.

    The caller decides who may do this (roles.actions.grant_role_by_hsa_id: whoever may grant)."""
    staff = Staff(
        user=User.objects.create_user(UserKind.STAFF),
        hsa_id=hsa_id,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
    )
    staff.full_clean(exclude=["user"])
    staff.save()
    return staff


REASON_MAX = 2_000


@transaction.atomic
def block_guardian(
    *,
    staff: Staff,
    unit_id: object,
    guardian_pnr: str,
    child_pnr: str,
    all_units: bool,
    reason: str,
    valid_from: date | None,
    valid_until: date | None,
) -> GuardianBlock:
    """The unit manager blocks a guardian from acting for the child at the unit (or at every unit),
    from ``valid_from`` until ``valid_until`` (inclusive; open-ended if None). Everything is checked
    first; the decision is written to the access log with the child as subject."""
    from vardkontakt.audit.log import record
    from vardkontakt.roles.models import Role  # roles depends on identity

    unit = first_by_id(policy.units_deciding_guardian_blocks(staff), unit_id)
    if unit is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    people: dict[str, Resident] = {}
    for field, value in (("child", child_pnr), ("guardian", guardian_pnr)):
        try:
            found = resident_by_personnummer(value)
        except ValidationError as exc:
            errors[field] = exc.messages
            continue
        if found is None:
            errors[field] = [_("Personen finns inte i folkbokföringen.")]
        else:
            people[field] = found
    if (
        len(people) == 2
        and not Guardianship.objects.filter(guardian=people["guardian"], child=people["child"]).exists()
    ):
        errors["guardian"] = [_("Personen är inte vårdnadshavare för barnet.")]
    text = (reason or "").strip()
    if not text:
        errors["reason"] = [_("Skriv skälet till beslutet.")]
    elif len(text) > REASON_MAX:
        errors["reason"] = [_("Texten är för lång: högst %(max)d tecken.") % {"max": REASON_MAX}]
    today = timezone.localdate()
    start = valid_from or today
    if start < today:
        errors["valid_from"] = [_("Datumet har redan passerat.")]
    if valid_until is not None and valid_until < max(start, today):
        errors["valid_until"] = [_("Slutdatumet måste vara samma dag som startdatumet eller senare.")]
    if errors:
        raise ValidationError(errors)
    block = GuardianBlock(
        guardian=people["guardian"],
        child=people["child"],
        unit=None if all_units else unit,
        decided_at=unit,
        decided_by=staff,
        valid_from=start,
        valid_until=valid_until,
    )
    block.reason = text
    block.save()
    record(
        actor=staff.user,
        acting_role=Role.UNIT_MANAGER,
        action="guardian.block",
        object_type="GuardianBlock",
        object_id=block.pk,
        unit=unit,
        subject=block.child,
    )
    return block


@transaction.atomic
def lift_guardian_block(*, staff: Staff, block_id: object) -> GuardianBlock:
    """A unit manager of the unit that decided it lifts a block; the row stays, with who and when."""
    from vardkontakt.audit.log import record
    from vardkontakt.roles.models import Role

    block = first_by_id(
        policy.guardian_blocks_visible_to(staff).select_for_update().filter(lifted_at__isnull=True), block_id
    )
    if block is None:
        raise Http404
    block.lifted_at = timezone.now()
    block.lifted_by = staff
    block.save(update_fields=["lifted_at", "lifted_by"])
    record(
        actor=staff.user,
        acting_role=Role.UNIT_MANAGER,
        action="guardian.unblock",
        object_type="GuardianBlock",
        object_id=block.pk,
        unit=block.decided_at,
        subject=block.child,
    )
    return block
