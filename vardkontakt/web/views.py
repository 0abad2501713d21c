from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from vardkontakt.identity.access import (
    acting_resident,
    logged_in_resident,
    logged_in_staff,
    resident_required,
    staff_required,
)
from vardkontakt.identity.policy import proxy_children
from vardkontakt.roles.models import Role
from vardkontakt.roles.policy import administered_units, grants_in_force, units_where


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_safe
@resident_required
def resident_home(request: HttpRequest) -> HttpResponse:
    me = logged_in_resident(request)
    acting = acting_resident(request)
    return render(
        request,
        "web/resident_home.html",
        {
            "me": me,
            "acting": acting,
            "children": proxy_children(me),
            "age": acting.age_on(timezone.localdate()),
        },
    )


@require_safe
@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    grants = grants_in_force(staff).select_related("unit", "region").order_by("unit__name", "role")
    context = {
        "staff": staff,
        "grants": grants,
        "is_receiver": units_where(staff, Role.CASE_RECEIVER).exists(),
        "is_handler": units_where(staff, Role.CASE_HANDLER).exists(),
        "is_log_reviewer": units_where(staff, Role.LOG_REVIEWER).exists(),
        "is_admin": administered_units(staff).exists(),
    }
    return render(request, "web/staff_home.html", context)


def _error_page(request: HttpRequest, status: int, **context: object) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"status": status, **context},
        status=status,
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database or the session: the error may be theirs.
    from django.template import loader

    return HttpResponse(loader.get_template("web/error_500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # ``reason`` names what was missing (cookie, token, Origin); it is for the server's log, not the page.
    return _error_page(request, 403, csrf=True)
