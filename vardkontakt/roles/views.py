"""The clinic's role administration in the staff tool: list, grant, revoke, set an end date.

Who may do what is roles.policy (can_grant / can_revoke); the changes are roles.actions. Every page
asks for a recent e-ID authentication (step-up)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from vardkontakt.directory.models import Unit
from vardkontakt.directory.views_settings import unit_for
from vardkontakt.identity.access import recent_authentication_required, staff_required
from vardkontakt.identity.models import Staff
from vardkontakt.roles import actions
from vardkontakt.roles.forms import ConfirmForm, EndForm, GrantForm, end_after
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.roles.policy import (
    can_administer_roles,
    can_revoke,
    grantable_roles,
    grants_visible_to,
    local_admins_left,
)

# Which form field an action's refusal belongs to, by its code; the rest go to the top of the form.
_FIELD_OF_CODE = {
    "format": "hsa_id",
    "length": "hsa_id",
    "required": "hsa_id",
    "unknown_hsa_id": "hsa_id",
    "past": "valid_from",
    "period": "last_day",
    "reference": "reference",
    "fewer_than_two": "accept_fewer",
}


def _unit_for(request: HttpRequest, unit_id: str) -> tuple[Staff, Unit]:
    return unit_for(request, unit_id, can_administer_roles)


def _grant_for(actor: Staff, unit: Unit, grant_id: int) -> RoleGrant:
    grant = grants_visible_to(actor).filter(unit=unit, pk=grant_id).select_related("staff", "unit").first()
    if grant is None:
        raise Http404
    if grant.ended() or not can_revoke(actor, grant):
        raise PermissionDenied
    return grant


def _add_refusal(form: GrantForm | ConfirmForm, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        form.add_error("role" if "role" in form.fields else None, str(error))
        return
    field = _FIELD_OF_CODE.get(str(error.code))
    form.add_error(field if field in form.fields else None, error)


@require_safe
@staff_required
@recent_authentication_required
def grants(request: HttpRequest, unit_id: str) -> HttpResponse:
    actor, unit = _unit_for(request, unit_id)
    now = timezone.now()
    rows = list(
        grants_visible_to(actor)
        .filter(unit=unit)
        .select_related("staff", "granted_by", "revoked_by")
        .order_by("staff__family_name", "staff__given_name", "role", "valid_from")
    )
    current = [grant for grant in rows if not grant.ended(now)]
    context = {
        "unit": unit,
        "current": [(grant, grant.valid_from > now, can_revoke(actor, grant)) for grant in current],
        "ended": sorted(
            (grant for grant in rows if grant.ended(now)),
            key=lambda grant: grant.revoked_at or grant.valid_to or now,
            reverse=True,
        ),
        "local_admins": len(
            {g.staff_id for g in current if g.role == Role.LOCAL_ADMIN and g.valid_from <= now}
        ),
    }
    return render(request, "roles/grants.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def grant_new(request: HttpRequest, unit_id: str) -> HttpResponse:
    actor, unit = _unit_for(request, unit_id)
    form = GrantForm(
        request.POST if request.method == "POST" else None,
        initial={"valid_from": timezone.localdate().isoformat()},
    )
    if request.method == "POST" and form.is_valid():
        start, end = form.period()
        try:
            grant = actions.grant_role_by_hsa_id(
                actor,
                form.cleaned_data["hsa_id"],
                form.cleaned_data["role"],
                unit=unit,
                valid_from=start,
                valid_to=end,
                reference=form.cleaned_data["reference"],
                given_name=form.cleaned_data["given_name"],
                family_name=form.cleaned_data["family_name"],
            )
        except (ValidationError, PermissionDenied) as error:
            _add_refusal(form, error)
        else:
            messages.success(
                request,
                _("%(name)s har fått rollen %(role)s.")
                % {"name": grant.staff.full_name, "role": grant.get_role_display()},
            )
            return HttpResponseRedirect(reverse("roles:grants", args=[unit.pk]))
    roles = [(role, Role(role).label) for role in grantable_roles(actor, unit)]
    return render(
        request,
        "roles/grant_new.html",
        {"unit": unit, "form": form, "roles": roles},
        status=400 if form.errors else 200,
    )


def _fewer_than_two_warning(grant: RoleGrant) -> bool:
    """Would the clinic have fewer than two local administrators without this grant? For the page; the
    action decides again, under lock (for an end date: on that date)."""
    if grant.role != Role.LOCAL_ADMIN or grant.unit is None:
        return False
    return local_admins_left(grant.unit, without=grant) < 2


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def grant_revoke(request: HttpRequest, unit_id: str, grant_id: int) -> HttpResponse:
    actor, unit = _unit_for(request, unit_id)
    grant = _grant_for(actor, unit, grant_id)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.revoke_role(actor, grant.pk, accept_fewer_than_two=form.cleaned_data["accept_fewer"])
        except (ValidationError, PermissionDenied) as error:
            _add_refusal(form, error)
        else:
            messages.success(
                request,
                _("%(name)s har inte längre rollen %(role)s.")
                % {"name": grant.staff.full_name, "role": grant.get_role_display()},
            )
            return HttpResponseRedirect(reverse("roles:grants", args=[unit.pk]))
    return render(
        request,
        "roles/grant_revoke.html",
        {"unit": unit, "grant": grant, "form": form, "warn": _fewer_than_two_warning(grant)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@recent_authentication_required
def grant_end(request: HttpRequest, unit_id: str, grant_id: int) -> HttpResponse:
    actor, unit = _unit_for(request, unit_id)
    grant = _grant_for(actor, unit, grant_id)
    form = EndForm(
        request.POST if request.method == "POST" else None,
        initial={"last_day": grant.last_day.isoformat() if grant.last_day else ""},
    )
    warn = False
    if request.method == "POST" and form.is_valid():
        valid_to = end_after(form.cleaned_data["last_day"])
        try:
            actions.set_role_end(
                actor, grant.pk, valid_to, accept_fewer_than_two=form.cleaned_data["accept_fewer"]
            )
        except (ValidationError, PermissionDenied) as error:
            warn = getattr(error, "code", None) == "fewer_than_two"
            _add_refusal(form, error)
        else:
            messages.success(
                request,
                _("Rollen %(role)s för %(name)s gäller till och med %(day)s.")
                % {
                    "name": grant.staff.full_name,
                    "role": grant.get_role_display(),
                    "day": form.cleaned_data["last_day"].isoformat(),
                },
            )
            return HttpResponseRedirect(reverse("roles:grants", args=[unit.pk]))
    return render(
        request,
        "roles/grant_end.html",
        {"unit": unit, "grant": grant, "form": form, "warn": warn or _fewer_than_two_warning(grant)},
        status=400 if form.errors else 200,
    )
