"""Login with Freja eID Plus (residents) and SITHS (staff) over OpenID Connect: start and callback.

``start`` sends the browser to the provider; ``callback`` is where the provider sends it back with
``code`` and ``state`` (nothing else: no personal identity number is ever in one of our URLs). The
identity the provider asserts goes to identity.login, which applies the rules that do not depend on
the provider and starts the session, or completes a pending step-up for the same person."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from vardkontakt.identity import ratelimit
from vardkontakt.identity.eid import oidc
from vardkontakt.identity.eid.registry import enabled
from vardkontakt.identity.login import STEP_UP_KEY, LoginRefused, log_in_resident, log_in_staff, next_url
from vardkontakt.identity.session import Realm, current_realm

REALMS = {oidc.FREJA: Realm.RESIDENT, oidc.SITHS: Realm.STAFF}
TOO_MANY_ATTEMPTS = _(
    "Du har gjort för många inloggningsförsök som inte gick igenom. Vänta en stund och försök sedan igen."
)


def _provider(name: str) -> str:
    if name not in REALMS or not enabled(name):
        raise Http404
    return name


def _error_page(
    request: HttpRequest, provider: str, message: str | Promise, status: int, *, kind: str = "failed"
) -> HttpResponse:
    realm = REALMS[provider]
    stepping_up = STEP_UP_KEY in request.session and current_realm(request) == realm
    if stepping_up:
        again = reverse("identity:step_up")
    else:
        again = reverse("identity:login" if realm == Realm.RESIDENT else "identity:staff_login")
    context = {"provider": provider, "message": message, "kind": kind, "again_url": again, "realm": realm}
    return render(request, "identity/oidc_error.html", context, status=status)


def _login_hint(request: HttpRequest, provider: str) -> str:
    """During a step-up, the person who is logged in: the provider is asked for that person."""
    if STEP_UP_KEY not in request.session or current_realm(request) != REALMS[provider]:
        return ""
    user = request.user
    if provider == oidc.FREJA:
        return str(user.resident.personnummer)  # type: ignore[union-attr]
    return str(user.staff.hsa_id)  # type: ignore[union-attr]


@never_cache
@require_safe
def start(request: HttpRequest, provider: str) -> HttpResponse:
    provider = _provider(provider)
    if ratelimit.is_limited(request):
        return _error_page(request, provider, TOO_MANY_ATTEMPTS, 429, kind="limited")
    hint = _login_hint(request, provider)
    callback = request.build_absolute_uri(reverse(f"oidc:{provider}_callback"))
    try:
        url = oidc.client(provider).begin(
            request.session,
            callback,
            login_hint=hint,
            # A step-up needs a fresh authentication, not the provider's single sign-on session.
            max_age=settings.VK_STEP_UP_SECONDS if hint else None,
        )
    except oidc.OidcError as exc:
        # The provider is down or misconfigured: not the person's failure, so not counted.
        return _error_page(request, provider, exc.message, exc.status)
    return HttpResponseRedirect(url)


@never_cache
@require_safe
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    provider = _provider(provider)
    query = {key: request.GET[key] for key in ("state", "code", "error") if key in request.GET}
    try:
        identity = oidc.client(provider).finish(request.session, query)
    except oidc.OidcError as exc:
        ratelimit.note_failure(request, provider, exc.code)
        kind = "cancelled" if isinstance(exc, oidc.Cancelled) else "failed"
        return _error_page(request, provider, exc.message, exc.status, kind=kind)
    try:
        if provider == oidc.FREJA:
            log_in_resident(request, identity.value, provider)
        else:
            log_in_staff(request, identity.value, provider)
    except LoginRefused as exc:
        ratelimit.note_failure(request, provider, exc.code)
        return _error_page(request, provider, exc.message, 403)
    return HttpResponseRedirect(next_url(request, REALMS[provider]))
