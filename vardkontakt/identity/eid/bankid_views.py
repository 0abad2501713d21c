"""Resident login with BankID: an animated QR code, "BankID on this device", and collect every 2 s.

The order lives in the server-side session: its orderRef, the QR code's token and secret (which never
reach the browser) and when it started. Each URL names the orderRef it is about, and a request for an
orderRef that is not this session's current order is refused: an order can only be collected or
cancelled by the session that started it.

The page works with HTMX: the QR code is fetched every second, the status every two seconds (the
status element is a polite live region; an unchanged status answers 204 so that nothing is announced
twice). A failed order replaces the whole order panel and moves focus to the error. Without
JavaScript, "BankID on this device" works and reloading the page collects the order."""

from __future__ import annotations

import hmac
import logging
import re
import time
from typing import Any

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vardkontakt.identity import ratelimit
from vardkontakt.identity.eid import bankid
from vardkontakt.identity.eid.registry import BANKID, enabled
from vardkontakt.identity.login import STEP_UP_KEY, LoginRefused, log_in_resident, next_url
from vardkontakt.identity.network import client_ip
from vardkontakt.identity.session import Realm, current_realm

log = logging.getLogger("vardkontakt.login")

SESSION_KEY = "vk_bankid"
METHOD = BANKID
# BankID ends every order itself (expiredTransaction); this is only how long we keep polling an
# order while the API cannot be reached, before we give up on it.
MAX_ORDER_SECONDS = 5 * 60
HTMX_STOP_POLLING = 286  # htmx cancels the polling of the element that receives this status
_MOBILE = re.compile(r"Mobi|Android|iPhone|iPad|iPod", re.IGNORECASE)


# --- The order in the session ----------------------------------------------------------------------
def _stored(request: HttpRequest) -> dict[str, Any] | None:
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, dict) and isinstance(value.get("order_ref"), str) else None


def _bound(request: HttpRequest, order_ref: str) -> dict[str, Any] | None:
    """This session's order, if ``order_ref`` names it; otherwise None (never another session's)."""
    stored = _stored(request)
    if stored is None or not hmac.compare_digest(stored["order_ref"].encode(), order_ref.encode()):
        return None
    return stored


def _forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _on_mobile(request: HttpRequest) -> bool:
    return bool(_MOBILE.search(request.headers.get("User-Agent", "")))


def _step_up_pending(request: HttpRequest) -> bool:
    return request.session.get(STEP_UP_KEY) is not None and current_realm(request) == Realm.RESIDENT


def _required_personal_number(request: HttpRequest) -> str | None:
    """During a step-up, only the logged-in resident may complete the order."""
    if not _step_up_pending(request):
        return None
    return request.user.resident.personnummer  # type: ignore[union-attr]


# --- Views -----------------------------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """GET: the current order (collected once, so that a reload without JavaScript moves on), or a new
    one. POST ("Försök igen"): cancel any current order and start a new one."""
    if not enabled(BANKID):
        raise Http404
    stored = _stored(request)
    if request.method == "POST":
        if stored is not None:
            _cancel_quietly(stored["order_ref"])
            _forget(request)
            ratelimit.note_failure(request, METHOD, "replaced")
        return HttpResponseRedirect(reverse("bankid:start"), status=303)
    if stored is not None:
        return _collect(request, stored)
    if ratelimit.is_limited(request):
        minutes = max(1, settings.VK_LOGIN_FAILURE_WINDOW // 60)
        message = ngettext(
            "Du har gjort för många inloggningsförsök som inte gick igenom. Vänta %(minutes)d minut och "
            "försök sedan igen.",
            "Du har gjort för många inloggningsförsök som inte gick igenom. Vänta %(minutes)d minuter och "
            "försök sedan igen.",
            minutes,
        ) % {"minutes": minutes}
        return _page(request, limited=message, status=429)
    return _start(request)


def _start(request: HttpRequest) -> HttpResponse:
    personal_number = _required_personal_number(request)
    visible = _("Bekräfta din identitet i Vårdkontakt.") if personal_number else _("Logga in i Vårdkontakt.")
    try:
        with bankid.get_client() as client:
            order = client.auth(
                client_ip(request), personal_number=personal_number, user_visible_data=visible
            )
    except bankid.BankIdError as exc:
        log.warning("bankid auth failed code=%s status=%s", exc.code, exc.http_status)
        if not exc.transient:
            ratelimit.note_failure(request, METHOD, exc.code)
        return _page(request, failure=exc.message, status=503 if exc.transient else 200)
    request.session[SESSION_KEY] = {
        "order_ref": order.order_ref,
        "auto_start_token": order.auto_start_token,
        "qr_start_token": order.qr_start_token,
        "qr_start_secret": order.qr_start_secret,
        "started": time.time(),
        "shown": str(bankid.RFA1),  # what the page shows first
        "step_up": personal_number is not None,
    }
    return _page(request, order=_order_context(request.session[SESSION_KEY]))


@never_cache
@require_GET
def qr(request: HttpRequest, order_ref: str) -> HttpResponse:
    """The QR code as it is now: its content changes every second."""
    stored = _bound(request, order_ref)
    if stored is None:
        if _is_htmx(request):
            # Stop this poll quietly: the status poll says what happened. (A panel swapped in from
            # here could land on top of the failure message that the status poll just put there.)
            return HttpResponse(status=HTMX_STOP_POLLING)
        raise Http404
    return render(request, "identity/bankid_qr.html", _qr_context(stored))


@never_cache
@require_GET
def status(request: HttpRequest, order_ref: str) -> HttpResponse:
    """Collect the order: the status for the live region, the error panel, or the way in."""
    stored = _bound(request, order_ref)
    if stored is None:
        return _refused(request)
    return _collect(request, stored)


@never_cache
@require_POST
def cancel(request: HttpRequest, order_ref: str) -> HttpResponse:
    stored = _bound(request, order_ref)
    if stored is None:
        return _refused(request)
    _cancel_quietly(stored["order_ref"])
    _forget(request)
    ratelimit.note_failure(request, METHOD, "cancelled")
    return _failed(request, bankid.RFA6)


# --- Collecting ------------------------------------------------------------------------------------
def _collect(request: HttpRequest, stored: dict[str, Any]) -> HttpResponse:
    try:
        with bankid.get_client() as client:
            result = client.collect(stored["order_ref"])
    except bankid.BankIdError as exc:
        too_old = time.time() - float(stored.get("started", 0)) > MAX_ORDER_SECONDS
        log.warning("bankid collect failed code=%s status=%s", exc.code, exc.http_status)
        if exc.transient and not too_old:
            return _pending(request, stored, bankid.RFA21)  # ask again at the next poll
        _forget(request)
        ratelimit.note_failure(request, METHOD, exc.code)
        return _failed(request, exc.message)
    if result.status == bankid.Status.PENDING:
        return _pending(request, stored, bankid.pending_message(result.hint_code, mobile=_on_mobile(request)))
    _forget(request)
    if result.status == bankid.Status.FAILED:
        ratelimit.note_failure(request, METHOD, result.hint_code or "failed")
        return _failed(request, bankid.failed_message(result.hint_code, qr=not _on_mobile(request)))
    assert result.completion is not None
    try:
        log_in_resident(request, result.completion.user.personal_number, METHOD)
    except LoginRefused as refused:
        ratelimit.note_failure(request, METHOD, refused.code)
        return _failed(request, refused.message)
    # Back to what asked for a step-up, if one was pending; otherwise the resident's start page.
    return _enter(request, next_url(request, Realm.RESIDENT))


def _enter(request: HttpRequest, url: str) -> HttpResponse:
    if _is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _pending(request: HttpRequest, stored: dict[str, Any], message: Promise | str) -> HttpResponse:
    text = str(message)
    if _is_htmx(request):
        if stored.get("shown") == text:
            return HttpResponse(status=204)  # nothing new: the live region stays quiet
        stored["shown"] = text
        request.session[SESSION_KEY] = stored
        return render(request, "identity/bankid_status.html", {"message": text})
    stored["shown"] = text
    request.session[SESSION_KEY] = stored
    return _page(request, order=_order_context(stored, message=text))


def _failed(request: HttpRequest, message: Promise | str) -> HttpResponse:
    """The order is over without a login: say why, offer to try again."""
    if _is_htmx(request):
        response = render(request, "identity/bankid_failed.html", {"failure": message})
        response["HX-Retarget"] = "#bankid-order"
        response["HX-Reswap"] = "outerHTML"
        return response
    return _page(request, failure=message)


def _refused(request: HttpRequest) -> HttpResponse:
    """No such order in this session: nothing is collected or cancelled, and polling stops."""
    if _is_htmx(request):
        response = render(request, "identity/bankid_failed.html", {"failure": _gone_message()})
        response.status_code = HTMX_STOP_POLLING
        response["HX-Retarget"] = "#bankid-order"
        response["HX-Reswap"] = "outerHTML"
        return response
    raise Http404


def _gone_message() -> str:
    return _("Den här inloggningen pågår inte längre. Starta en ny inloggning.")


def _cancel_quietly(order_ref: str) -> None:
    try:
        with bankid.get_client() as client:
            client.cancel(order_ref)
    except bankid.BankIdError as exc:  # already finished or expired: nothing left to cancel
        log.info("bankid cancel not done code=%s", exc.code)


# --- Rendering -------------------------------------------------------------------------------------
def _qr_context(stored: dict[str, Any]) -> dict[str, Any]:
    seconds = int(time.time() - float(stored["started"]))
    content = bankid.qr_data(stored["qr_start_token"], stored["qr_start_secret"], seconds)
    code = segno.make(content, error="l", micro=False)
    # segno writes presentation attributes only (no style attributes), so the CSP holds.
    svg = code.svg_inline(scale=5, border=4, dark="#0b0c0c", light="#ffffff", omitsize=False)
    return {"qr": content, "svg": svg}


def _order_context(stored: dict[str, Any], message: str = "") -> dict[str, Any]:
    app_url = f"{settings.VK_BANKID_APP_URL}?autostarttoken={stored['auto_start_token']}&redirect=null"
    return {
        "order_ref": stored["order_ref"],
        "app_url": app_url,
        "message": message or str(bankid.RFA1),
        **_qr_context(stored),
    }


def _page(
    request: HttpRequest,
    *,
    order: dict[str, Any] | None = None,
    failure: Promise | str = "",
    limited: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "order": order,
        "failure": failure,
        "limited": limited,
        "step_up": _step_up_pending(request),
        "mobile": _on_mobile(request),
    }
    return render(request, "identity/bankid.html", context, status=status)
