"""What happens when an e-ID provider has completed its protocol: the one way into a session.

Every provider (BankID, Freja eID Plus, SITHS) ends its flow by calling ``log_in_resident`` or
``log_in_staff`` with the identity the provider asserted. These apply the rules that do not depend on
the provider (population register, deceased, reserve numbers, roles) and start the session; or, when
the person is already logged in and asked to prove it again (step-up), refresh the authentication
time after checking that the same person authenticated."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.adapters import population_register
from vardkontakt.identity.hsa import normalize_hsa_id
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.identity.register import update_from_register
from vardkontakt.identity.session import AUTH_AT_KEY, Realm, current_realm, start_session

log = logging.getLogger("vardkontakt.login")

STEP_UP_KEY = "vk_step_up"  # {"next": url} while a logged-in person proves their identity again


class LoginRefused(Exception):
    """The provider authenticated someone who may not log in. ``message`` is for the person."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _step_up(request: HttpRequest, user: User) -> bool:
    """If a step-up is pending, complete it for ``user``; True when this was a step-up."""
    pending = request.session.get(STEP_UP_KEY)
    if pending is None or current_realm(request) is None:
        return False
    if request.user.pk != user.pk:
        raise LoginRefused("step_up_other_person", _("Du legitimerade dig som en annan person. Försök igen."))
    request.session[AUTH_AT_KEY] = int(time.time())
    return True


def log_in_resident(request: HttpRequest, identity_number: str, method: str) -> Resident:
    """A resident authenticated with e-ID as ``identity_number``: apply the rules, start the session."""
    try:
        number = pnr.parse(identity_number)
    except ValidationError:
        raise LoginRefused(
            "not_personnummer",
            _(
                "Du kan inte logga in med ett reservnummer eller ett nummer som inte är ett personnummer "
                "eller samordningsnummer. Kontakta din mottagning per telefon."
            ),
        ) from None
    record = population_register().lookup(number.digits)
    if record is None:
        raise LoginRefused(
            "not_in_register",
            _(
                "Vi kunde inte hämta dina uppgifter från folkbokföringen. Försök igen senare eller kontakta 1177."
            ),
        )
    with transaction.atomic():  # kept even when the login is refused: a death deactivates the account
        resident = update_from_register(record)
    if record.deceased:
        raise LoginRefused("deceased", _("Den här personen kan inte logga in."))
    if not resident.user.is_active:
        raise LoginRefused("inactive", _("Din inloggning är spärrad. Kontakta 1177 för att få hjälp."))
    if not _step_up(request, resident.user):
        start_session(request, resident.user, Realm.RESIDENT, method)
    log.info("resident login method=%s resident=%s", method, resident.pk)
    return resident


def log_in_staff(request: HttpRequest, hsa_id: str, method: str) -> Staff:
    """A member of staff authenticated with SITHS as ``hsa_id``: they must hold a role somewhere."""
    from vardkontakt.roles.policy import has_any_role  # roles depends on identity

    try:
        canonical = normalize_hsa_id(hsa_id)
    except ValidationError:
        raise LoginRefused(
            "bad_hsa_id", _("Inloggningen gav inget giltigt HSA-id. Kontakta din IT-support.")
        ) from None
    staff = Staff.objects.select_related("user").filter(hsa_id=canonical).first()
    if staff is None or not staff.user.is_active or not has_any_role(staff):
        raise LoginRefused(
            "no_role", _("Du har ingen behörighet i Vårdkontakt. Kontakta din lokala administratör.")
        )
    if not _step_up(request, staff.user):
        start_session(request, staff.user, Realm.STAFF, method)
    log.info("staff login method=%s staff=%s", method, staff.pk)
    return staff


def begin_step_up(request: HttpRequest, next_url: str) -> None:
    """Ask the logged-in person to authenticate again; ``next_url`` is where they go afterwards."""
    request.session[STEP_UP_KEY] = {"next": next_url}


def recently_authenticated(request: HttpRequest) -> bool:
    auth_at = request.session.get(AUTH_AT_KEY)
    return isinstance(auth_at, int) and time.time() - auth_at <= settings.VK_STEP_UP_SECONDS


def next_url(request: HttpRequest, realm: Realm) -> str:
    """Where a completed login or step-up leads: back to what asked for the step-up, or home."""
    pending = request.session.pop(STEP_UP_KEY, None)
    target = pending.get("next") if isinstance(pending, dict) else None
    if isinstance(target, str) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return reverse("web:resident_home" if realm == Realm.RESIDENT else "web:staff_home")
