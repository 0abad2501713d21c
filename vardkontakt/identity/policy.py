"""Who may act for whom."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from vardkontakt.identity.models import GUARDIAN_PROXY_AGE_LIMIT, Resident


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
