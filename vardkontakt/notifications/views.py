"""The staff member's own notification settings. Nobody sees or changes anyone else's."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vardkontakt.identity.access import logged_in_staff, recent_authentication_required, staff_required
from vardkontakt.notifications.actions import default_choices_for, set_staff_preferences
from vardkontakt.notifications.forms import StaffPreferenceForm
from vardkontakt.notifications.models import StaffNotificationPreference


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def staff_settings(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    current = StaffNotificationPreference.objects.filter(staff=staff).first()
    # Until they save choices of their own, they are offered their clinics' defaults.
    choices = (
        {"on_new_case": current.on_new_case, "on_assignment": current.on_assignment}
        if current
        else default_choices_for(staff)
    )
    initial = {
        "email": (current.email or "") if current else "",
        "mobile": (current.mobile or "") if current else "",
        **choices,
    }
    form = StaffPreferenceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            set_staff_preferences(
                staff,
                email=form.cleaned_data["email"],
                mobile=form.cleaned_data["mobile"],
                on_new_case=form.cleaned_data["on_new_case"],
                on_assignment=form.cleaned_data["on_assignment"],
            )
            messages.success(request, _("Dina aviseringsinställningar är sparade."))
            return HttpResponseRedirect(reverse("notifications:staff_settings"))
        return render(
            request, "notifications/staff_settings.html", {"form": form, "staff": staff}, status=400
        )
    return render(request, "notifications/staff_settings.html", {"form": form, "staff": staff})
