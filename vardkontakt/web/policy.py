"""Access questions of the staff tool's help pages (the manual and the support page)."""

from __future__ import annotations

from vardkontakt.directory.models import Region
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import has_role


def can_edit_region_support(staff: Staff | None, region: Region) -> bool:
    """The region's support text is the region administrators' to keep, in their own region only."""
    return has_role(staff, Role.REGION_ADMIN, region=region)
