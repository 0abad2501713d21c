"""Who may act for whom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from vardkontakt.identity.models import GUARDIAN_PROXY_AGE_LIMIT, GuardianBlock, Resident, Staff

if TYPE_CHECKING:
    from vardkontakt.directory.models import Unit


def proxy_children(guardian: Resident) -> QuerySet[Resident]:
    """Children the guardian may act for now: in the guardian's custody and not yet 13."""
    today = timezone.localdate()
    try:
        born_after = today.replace(year=today.year - GUARDIAN_PROXY_AGE_LIMIT)
    except ValueError:  # 29 February
        born_after = today.replace(year=today.year - GUARDIAN_PROXY_AGE_LIMIT, day=28)
    return Resident.objects.filter(
        guardian_links__guardian=guardian, birth_date__gt=born_after, deceased=False
    ).order_by("birth_date")


def can_act_for(guardian: Resident, child: Resident) -> bool:
    return proxy_children(guardian).filter(pk=child.pk).exists()


def units_deciding_guardian_blocks(staff: Staff) -> QuerySet[Unit]:
    """The units whose unit manager (verksamhetschef) ``staff`` is: they block and unblock guardians there."""
    from vardkontakt.roles.models import Role  # roles depends on identity
    from vardkontakt.roles.policy import units_where

    return units_where(staff, Role.UNIT_MANAGER)


def guardian_blocks_visible_to(staff: Staff) -> QuerySet[GuardianBlock]:
    """The blocks decided at the units where ``staff`` is unit manager."""
    return GuardianBlock.objects.filter(decided_at__in=units_deciding_guardian_blocks(staff).values("id"))
