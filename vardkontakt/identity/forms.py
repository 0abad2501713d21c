from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^(?:\+46|0046|0)(7\d{8})$")


def normalize_mobile(value: str) -> str:
    """A Swedish mobile number as +467XXXXXXXX, from the usual written forms."""
    digits = re.sub(r"[\s\-()]", "", value)
    match = _MOBILE.match(digits)
    if not match:
        raise forms.ValidationError(
            _("Ange ett svenskt mobilnummer, till exempel 070-123 45 67."), code="mobile"
        )
    return "+46" + match.group(1)


class ConsentForm(forms.Form):
    accept = forms.BooleanField(
        label=_("Jag vill kommunicera digitalt med vården och godkänner villkoren för Vårdkontakt."),
        error_messages={"required": _("Du behöver godkänna villkoren för att använda e-tjänsterna.")},
    )


class NotificationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-postadress"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Ange en e-postadress i rätt format, till exempel namn@exempel.se.")},
    )
    mobile = forms.CharField(label=_("Mobilnummer"), required=False, max_length=20)

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].strip()
        return normalize_mobile(value) if value else ""
