"""Who may review which access log (DESIGN.md §1: the LOG_REVIEWER of a clinic).

A reviewer (``LOG_REVIEWER``) at unit U sees the rows of U's access log (``AccessLogEntry.unit`` is U),
the reviews of U, and the filters they made themselves at U, while they hold the role there. Nobody
else sees them through the review pages: not the local administrator or the unit manager by that
role alone, not another unit's reviewer, not the region. For them the pages answer 404, as for an
id that does not exist. Lists and detail pages use the same querysets."""

from __future__ import annotations

from django.db.models import QuerySet

from vardkontakt.audit.models import AccessLogEntry, LogFilter, LogReview
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import has_role, units_where


def review_units(staff: Staff | None) -> QuerySet[Unit]:
    """The units whose access log ``staff`` may review now."""
    return units_where(staff, Role.LOG_REVIEWER)


def can_review(staff: Staff | None, unit: Unit) -> bool:
    return has_role(staff, Role.LOG_REVIEWER, unit=unit)


def entries_visible_to(staff: Staff | None) -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.filter(unit__in=review_units(staff).values("id"))


def filters_visible_to(staff: Staff | None) -> QuerySet[LogFilter]:
    """A filter is its maker's own (it may hold a personnummer they typed), at a unit they review."""
    if staff is None:
        return LogFilter.objects.none()
    return LogFilter.objects.filter(created_by=staff, unit__in=review_units(staff).values("id"))


def reviews_visible_to(staff: Staff | None) -> QuerySet[LogReview]:
    """Every review of the units ``staff`` reviews: the clinic's reviewers work through them together."""
    return LogReview.objects.filter(unit__in=review_units(staff).values("id"))
