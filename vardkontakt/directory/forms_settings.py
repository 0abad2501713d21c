"""Forms of the clinic's settings pages. They parse; the rules are in directory.actions."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from vardkontakt.directory.actions import DESCRIPTION_MAX_LENGTH
from vardkontakt.directory.models import ServiceAreaSex

_AGE_ERRORS = {"invalid": _("Ange åldern i hela år, till exempel 18.")}


class DescriptionForm(forms.Form):
    description = forms.CharField(
        label=_("Text på kontaktkortet"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={"max_length": _("Texten får vara högst %(limit_value)s tecken.")},
    )


class ServiceAreaForm(forms.Form):
    municipalities = forms.CharField(label=_("Kommuner (valfritt)"), required=False, max_length=1000)
    sex = forms.ChoiceField(
        label=_("Kön (valfritt)"),
        required=False,
        choices=[("", _("Alla")), *ServiceAreaSex.choices],
        error_messages={"invalid_choice": _("Välj kvinnor, män eller alla.")},
    )
    min_age = forms.IntegerField(
        label=_("Lägsta ålder (valfritt)"), required=False, error_messages=_AGE_ERRORS
    )
    max_age = forms.IntegerField(
        label=_("Högsta ålder (valfritt)"), required=False, error_messages=_AGE_ERRORS
    )

    def clean_municipalities(self) -> list[str]:
        """Codes separated by commas, spaces or new lines."""
        return [code for code in re.split(r"[\s,;]+", self.cleaned_data["municipalities"]) if code]


class NotificationDefaultsForm(forms.Form):
    on_new_case = forms.BooleanField(
        label=_("När ett nytt ärende kommer till mottagningen (för ärendemottagare)"), required=False
    )
    on_assignment = forms.BooleanField(label=_("När ett ärende fördelas till medarbetaren"), required=False)
