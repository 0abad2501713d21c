"""Forms of the role administration. Dates are whole days in local time: a grant starts at the start of
its first day (or now, if that is today) and holds through its last day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.identity.hsa import normalize_hsa_id
from vardkontakt.roles.models import UNIT_ROLES, Role

DATE_FORMATS = ["%Y-%m-%d"]
_DATE_ERRORS = {"invalid": _("Skriv datumet som år-månad-dag, till exempel 2026-12-01.")}


def start_of(day: date) -> datetime:
    """The first moment of ``day`` in local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


def end_after(last_day: date) -> datetime:
    """The exclusive end of a period whose last day is ``last_day``."""
    return start_of(last_day + timedelta(days=1))


class GrantForm(forms.Form):
    hsa_id = forms.CharField(
        label=_("HSA-id"), max_length=40, error_messages={"required": _("Ange ett HSA-id.")}
    )
    # Every clinic role is a valid choice here, so that one the administrator may not grant reaches the
    # action and gets its clear refusal; the page offers only the grantable ones.
    role = forms.ChoiceField(
        label=_("Roll"),
        choices=[(role.value, role.label) for role in Role if role in UNIT_ROLES],
        error_messages={"required": _("Välj en roll."), "invalid_choice": _("Välj en roll.")},
    )
    valid_from = forms.DateField(
        label=_("Gäller från"),
        input_formats=DATE_FORMATS,
        error_messages={"required": _("Ange från vilket datum rollen gäller."), **_DATE_ERRORS},
    )
    last_day = forms.DateField(
        label=_("Sista dag (valfritt)"),
        required=False,
        input_formats=DATE_FORMATS,
        error_messages=_DATE_ERRORS,
    )
    reference = forms.CharField(
        label=_("Referens till behovs- och riskanalys"),
        max_length=200,
        error_messages={
            "required": _("Ange en referens till behovs- och riskanalysen."),
            "max_length": _("Referensen får vara högst 200 tecken."),
        },
    )
    given_name = forms.CharField(label=_("Förnamn"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Efternamn"), max_length=100, required=False)

    def clean_hsa_id(self) -> str:
        return normalize_hsa_id(self.cleaned_data["hsa_id"])

    def clean_valid_from(self) -> date:
        day: date = self.cleaned_data["valid_from"]
        if day < timezone.localdate():
            raise ValidationError(_("Startdatum kan inte vara bakåt i tiden. Välj i dag eller senare."))
        return day

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("valid_from"), cleaned.get("last_day")
        if isinstance(first, date) and isinstance(last, date) and last < first:
            self.add_error("last_day", _("Sista dagen kan inte vara före startdatum."))
        return cleaned

    def period(self) -> tuple[datetime, datetime | None]:
        last = self.cleaned_data.get("last_day")
        return start_of(self.cleaned_data["valid_from"]), end_after(last) if last else None


class ConfirmForm(forms.Form):
    """The confirmation step of a revocation; ``accept_fewer`` is asked for only when the clinic would
    be left with fewer than two local administrators."""

    accept_fewer = forms.BooleanField(
        label=_("Jag förstår att mottagningen får färre än två lokala administratörer"), required=False
    )


class EndForm(ConfirmForm):
    last_day = forms.DateField(
        label=_("Sista dag"),
        input_formats=DATE_FORMATS,
        error_messages={"required": _("Ange sista dagen som rollen gäller."), **_DATE_ERRORS},
    )

    def clean_last_day(self) -> date:
        day: date = self.cleaned_data["last_day"]
        if day < timezone.localdate():
            raise ValidationError(_("Sista dagen kan inte vara bakåt i tiden."))
        return day
