"""The staff home's link to the connection pages, for those who have something to do there."""

from __future__ import annotations

from django import template

from vardkontakt.identity.models import Staff
from vardkontakt.onboarding import policy

register = template.Library()


@register.inclusion_tag("onboarding/_staff_home_link.html")
def onboarding_link(staff: Staff) -> dict[str, object]:
    region_admin = policy.regions_administered(staff).exists()
    return {"region_admin": region_admin, "show": region_admin or policy.units_visible_to(staff).exists()}
