"""The clinic administration hub and the clinic's settings, in the staff tool.

The hub links what the member may administer at the unit (role administration, settings, case types);
the settings (contact-card text, service area, staff notification defaults) are the local
administrators'. Access is roles.policy; the changes are directory.actions and notifications.actions."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from vardkontakt.directory import actions
from vardkontakt.directory.forms_settings import DescriptionForm, NotificationDefaultsForm, ServiceAreaForm
from vardkontakt.directory.models import Unit
from vardkontakt.identity.access import logged_in_staff, recent_authentication_required, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.ids import first_by_id
from vardkontakt.notifications.actions import set_unit_notification_defaults
from vardkontakt.notifications.models import UnitNotificationDefaults
from vardkontakt.roles.policy import (
    administered_units,
    can_administer_roles,
    can_edit_unit_settings,
    can_open_unit_admin_hub,
)


def unit_for(
    request: HttpRequest, unit_id: str, allowed: Callable[[Staff, Unit], bool]
) -> tuple[Staff, Unit]:
    """The logged-in member and the unit ``unit_id`` of a clinic-administration page (these settings,
    roles.views): 404 for an unknown unit, 403 unless ``allowed(member, unit)`` (a roles.policy rule)."""
    actor = logged_in_staff(request)
    unit = first_by_id(Unit.objects.select_related("region"), unit_id)
    if unit is None:
        raise Http404
    if not allowed(actor, unit):
        raise PermissionDenied
    return actor, unit


@require_safe
@staff_required
def hub_list(request: HttpRequest) -> HttpResponse:
    units = list(administered_units(logged_in_staff(request)))
    if not units:
        raise PermissionDenied
    if len(units) == 1:
        return HttpResponseRedirect(reverse("unit_settings:hub", args=[units[0].pk]))
    return render(request, "directory/settings_hub_list.html", {"units": units})


@require_safe
@staff_required
def hub(request: HttpRequest, unit_id: str) -> HttpResponse:
    actor, unit = unit_for(request, unit_id, can_open_unit_admin_hub)
    context = {
        "unit": unit,
        "roles": can_administer_roles(actor, unit),
        "settings": can_edit_unit_settings(actor, unit),
    }
    return render(request, "directory/settings_hub.html", context)


@require_safe
@staff_required
def settings(request: HttpRequest, unit_id: str) -> HttpResponse:
    _actor, unit = unit_for(request, unit_id, can_edit_unit_settings)
    defaults = UnitNotificationDefaults.objects.filter(unit=unit).first()
    return render(request, "directory/settings.html", {"unit": unit, "defaults": defaults})


def _edit(
    request: HttpRequest,
    unit: Unit,
    form: forms.Form,
    save: Callable[[dict[str, object]], object],
    template: str,
    done: str,
) -> HttpResponse:
    """The one shape of every settings page: a form, the action, its refusal in the error summary."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("unit_settings:settings", args=[unit.pk]))
    return render(request, template, {"unit": unit, "form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def edit_description(request: HttpRequest, unit_id: str) -> HttpResponse:
    actor, unit = unit_for(request, unit_id, can_edit_unit_settings)
    form = DescriptionForm(
        request.POST if request.method == "POST" else None, initial={"description": unit.description}
    )
    return _edit(
        request,
        unit,
        form,
        lambda data: actions.set_unit_description(actor, unit, str(data["description"])),
        "directory/settings_description.html",
        _("Texten på kontaktkortet är sparad."),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def edit_service_area(request: HttpRequest, unit_id: str) -> HttpResponse:
    actor, unit = unit_for(request, unit_id, can_edit_unit_settings)
    form = ServiceAreaForm(
        request.POST if request.method == "POST" else None,
        initial={
            "municipalities": ", ".join(unit.service_area_municipalities),
            "sex": unit.service_area_sex,
            "min_age": unit.service_area_min_age,
            "max_age": unit.service_area_max_age,
        },
    )

    def save(data: dict[str, object]) -> Unit:
        return actions.set_service_area(
            actor,
            unit,
            municipalities=list(data["municipalities"]),  # type: ignore[call-overload]
            sex=str(data["sex"]),
            min_age=data["min_age"],  # type: ignore[arg-type]
            max_age=data["max_age"],  # type: ignore[arg-type]
        )

    return _edit(
        request, unit, form, save, "directory/settings_service_area.html", _("Betjäningsområdet är sparat.")
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def edit_notifications(request: HttpRequest, unit_id: str) -> HttpResponse:
    actor, unit = unit_for(request, unit_id, can_edit_unit_settings)
    current = UnitNotificationDefaults.objects.filter(unit=unit).first()
    form = NotificationDefaultsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "on_new_case": bool(current and current.on_new_case),
            "on_assignment": bool(current and current.on_assignment),
        },
    )
    return _edit(
        request,
        unit,
        form,
        lambda data: set_unit_notification_defaults(
            actor, unit, on_new_case=bool(data["on_new_case"]), on_assignment=bool(data["on_assignment"])
        ),
        "directory/settings_notifications.html",
        _("Standardvalen för personalens aviseringar är sparade."),
    )
