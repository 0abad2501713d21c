"""The staff tool's help: the manual (per role), the support page and the region's support contacts.

The manual and the support page are for every member of staff; the region's support text is edited
by that region's administrators only, after a recent e-ID authentication (step-up)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from vardkontakt.directory.models import Region
from vardkontakt.identity.access import logged_in_staff, recent_authentication_required, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.roles.policy import grants_in_force
from vardkontakt.web import actions, manual
from vardkontakt.web.policy import can_edit_region_support
from vardkontakt.web.support import support_for


def _held_roles(staff: Staff) -> set[str]:
    return set(grants_in_force(staff).values_list("role", flat=True))


@require_safe
@staff_required
def manual_index(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    language = manual.manual_language(get_language())
    return render(
        request,
        "web/manual_index.html",
        {"staff": staff, "chapters": manual.chapters_for(_held_roles(staff), language)},
    )


@require_safe
@staff_required
def manual_chapter(request: HttpRequest, slug: str) -> HttpResponse:
    role = manual.role_for_slug(slug)
    if role is None:
        raise Http404
    staff = logged_in_staff(request)
    language = manual.manual_language(get_language())
    return render(
        request,
        "web/manual_chapter.html",
        {
            "staff": staff,
            "chapter": manual.chapter(role, language),
            "held": role in _held_roles(staff),
        },
    )


@require_safe
@staff_required
def support(request: HttpRequest) -> HttpResponse:
    staff = logged_in_staff(request)
    local, regional = support_for(staff)
    return render(request, "web/support.html", {"staff": staff, "local": local, "regional": regional})


class RegionSupportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Regionens supportkontakter"),
        required=False,
        max_length=actions.SUPPORT_TEXT_MAX,
        widget=forms.Textarea,
        error_messages={
            "max_length": gettext_lazy("Texten får vara högst %(limit_value)s tecken (nu %(show_value)s).")
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def region_support(request: HttpRequest, code: str) -> HttpResponse:
    staff = logged_in_staff(request)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404
    if not can_edit_region_support(staff, region):
        raise PermissionDenied(_("Du får inte ändra regionens supportkontakter."))
    return _edit_region_support(request, staff, region)


@recent_authentication_required
def _edit_region_support(request: HttpRequest, staff: Staff, region: Region) -> HttpResponse:
    if request.method != "POST":
        form = RegionSupportForm(initial={"text": region.support_text})
        return render(request, "web/support_region.html", {"form": form, "region": region})
    form = RegionSupportForm(request.POST)
    if form.is_valid():
        try:
            actions.set_region_support_text(staff, region.pk, form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, _("Regionens supportkontakter är sparade."))
            return HttpResponseRedirect(reverse("web:support"))
    return render(request, "web/support_region.html", {"form": form, "region": region}, status=400)
