"""The interface language: Swedish unless the person has chosen otherwise.

The browser's Accept-Language is deliberately not consulted: the service is Swedish first, and a
person who wants English picks it once with the language navigation (a cookie remembers it)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from vardkontakt.identity.session import Realm, current_realm
from vardkontakt.notifications.actions import remember_language


def chosen_language(request: HttpRequest) -> str:
    value = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return value if value in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


@require_safe
def choose_language(request: HttpRequest, code: str) -> HttpResponse:
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:home")
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        if current_realm(request) == Realm.RESIDENT:
            remember_language(request.user.resident, code)  # type: ignore[union-attr]  # for notifications
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 60 * 60,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
