"""The contact card's e-services: for each active one, whether the person looking may start it here,
and if not, why and where to turn instead. The decisions are the e-services' own (cases asks
``cases.actions.admits``); this module only puts them on the card."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from vardkontakt.cases.actions import admits
from vardkontakt.cases.policy import case_types_for
from vardkontakt.directory.models import EService, Unit, UnitStatus
from vardkontakt.directory.search import municipality_name
from vardkontakt.identity.models import Resident

NEW_CASE_UNIT_PARAM = "mottagning"  # the new-case page's parameter for a preselected clinic


@dataclass(frozen=True)
class Offer:
    service: EService
    start_url: str = ""  # the start button, when the person may start the service here
    login_url: str = ""  # for a visitor: log in first
    reason: str = ""  # why the person cannot start it here
    instead: str = ""  # where to turn instead
    instead_url: str = ""
    instead_link: str = ""


def offers(unit: Unit, resident: Resident | None) -> list[Offer]:
    """One entry per active e-service of ``unit``, for ``resident`` (the one a logged-in resident acts
    for), or for a visitor when None."""
    if resident is None:
        login = reverse("identity:login")
        return [Offer(service, login_url=login) for service in unit.active_eservices()]
    return [_offer(unit, service, resident) for service in unit.active_eservices()]


def _offer(unit: Unit, service: EService, resident: Resident) -> Offer:
    phone = _call_the_clinic(unit)
    if service != EService.CASES:
        return Offer(
            service, reason=_("Den här e-tjänsten går ännu inte att använda i Vårdkontakt."), instead=phone
        )
    if not admits(unit, resident):
        return Offer(
            service,
            reason=_(
                "Du kan inte skicka ärenden hit: mottagningen tar bara emot invånare i sitt "
                "betjäningsområde (se nedan)."
            ),
            instead=_("Vänd dig till en mottagning där du bor, eller ring 1177 för sjukvårdsrådgivning."),
            instead_url=_clinics_for(resident),
            instead_link=_("Hitta mottagningar som tar emot ärenden"),
        )
    if not case_types_for(unit, resident).exists():
        return Offer(service, reason=_("Mottagningen tar inte emot ärenden just nu."), instead=phone)
    return Offer(
        service, start_url=f"{reverse('cases:new')}?{urlencode({NEW_CASE_UNIT_PARAM: str(unit.pk)})}"
    )


def _call_the_clinic(unit: Unit) -> str:
    if unit.phone:
        return _("Ring mottagningen på %(phone)s, eller 1177 för sjukvårdsrådgivning.") % {
            "phone": unit.phone
        }
    return _("Ring 1177 för sjukvårdsrådgivning.")


def _clinics_for(resident: Resident) -> str:
    params = {"etjanst": EService.CASES.value}
    if resident.municipality_code:
        params["kommun"] = resident.municipality_code
    return f"{reverse('directory:search')}?{urlencode(params)}#resultat"


def service_area(unit: Unit) -> list[str]:
    """The unit's service area (betjäningsområde) in words, one line per limit."""
    if unit.status != UnitStatus.ACTIVE:
        return []
    lines = [_("Invånare i %(region)s") % {"region": unit.region.name}]
    if unit.service_area_municipalities:
        names = sorted(municipality_name(code) for code in unit.service_area_municipalities)
        lines.append(_("Som bor i: %(municipalities)s") % {"municipalities": ", ".join(names)})
    if unit.service_area_sex:
        lines.append(unit.get_service_area_sex_display())
    low, high = unit.service_area_min_age, unit.service_area_max_age
    if low is not None and high is not None:
        lines.append(_("%(low)d–%(high)d år") % {"low": low, "high": high})
    elif low is not None:
        lines.append(_("Från %(low)d år") % {"low": low})
    elif high is not None:
        lines.append(_("Till och med %(high)d år") % {"high": high})
    return lines
