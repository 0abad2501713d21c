"""State changes owned by the staff tool's help pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vardkontakt.audit.log import record
from vardkontakt.directory.models import Region
from vardkontakt.identity.models import Staff
from vardkontakt.roles.models import Role
from vardkontakt.web.policy import can_edit_region_support

SUPPORT_TEXT_MAX = 2000


@transaction.atomic
def set_region_support_text(actor: Staff, region_id: int, text: str) -> Region:
    """Replace the region's support contacts (the text staff see on the support page)."""
    region = Region.objects.select_for_update().filter(pk=region_id).first()
    if region is None or not can_edit_region_support(actor, region):
        raise PermissionDenied(_("Du får inte ändra regionens supportkontakter."))
    cleaned = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    if len(cleaned) > SUPPORT_TEXT_MAX:
        raise ValidationError(
            _("Texten får vara högst %(max)s tecken.") % {"max": SUPPORT_TEXT_MAX}, code="text"
        )
    if cleaned != region.support_text:
        region.support_text = cleaned
        region.save(update_fields=["support_text"])
        record(
            actor=actor.user,
            action="region.support_text",
            object_type="Region",
            object_id=region.pk,
            acting_role=Role.REGION_ADMIN,
        )
    return region
