from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vardkontakt.identity.forms import normalize_mobile


class StaffPreferenceForm(forms.Form):
    email = forms.EmailField(
        label=_("E-postadress"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Ange en e-postadress i rätt format, till exempel namn@exempel.se.")},
    )
    mobile = forms.CharField(label=_("Mobilnummer"), required=False, max_length=20)
    on_new_case = forms.BooleanField(
        label=_("När ett nytt ärende kommer till en mottagning där jag är ärendemottagare"), required=False
    )
    on_assignment = forms.BooleanField(label=_("När ett ärende fördelas till mig"), required=False)

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].strip()
        return normalize_mobile(value) if value else ""

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        wants = cleaned.get("on_new_case") or cleaned.get("on_assignment")
        if wants and not (cleaned.get("email") or cleaned.get("mobile")) and not self.errors:
            raise forms.ValidationError(
                _("Ange en e-postadress eller ett mobilnummer för att få aviseringar."), code="no_address"
            )
        return cleaned
