"""Forms of the connection pages. They check shape only; the actions decide what is allowed."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vardkontakt.directory.models import EService
from vardkontakt.onboarding.actions import (
    AGREEMENT_REFERENCE_MAX,
    APPLICANT_NAME_MAX,
    MAX_PROPOSED_ADMINS,
    NAME_MAX,
    AdminProposal,
)
from vardkontakt.onboarding.models import REASON_MAX

DATE_FORMATS = ["%Y-%m-%d"]
DATE_ERRORS = {"invalid": _("Skriv datumet som ÅÅÅÅ-MM-DD.")}


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's refusal on the form: field errors on their fields, the rest on the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ApplicationForm(forms.Form):
    unit_hsa_id = forms.CharField(label=_("Enhetens HSA-id"), max_length=40, required=False)
    applicant_name = forms.CharField(
        label=_("Ditt namn (verksamhetschef)"), max_length=APPLICANT_NAME_MAX, required=False
    )
    contact_email = forms.CharField(label=_("E-postadress"), max_length=254, required=False)
    services = forms.MultipleChoiceField(
        label=_("E-tjänster som enheten vill erbjuda"),
        choices=EService.choices,
        required=False,
        error_messages={"invalid_choice": _("Välj bland e-tjänsterna i listan.")},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for index in range(1, MAX_PROPOSED_ADMINS + 1):
            self.fields[f"admin{index}_hsa_id"] = forms.CharField(
                label=_("HSA-id"), max_length=40, required=False
            )
            self.fields[f"admin{index}_given_name"] = forms.CharField(
                label=_("Förnamn"), max_length=NAME_MAX, required=False
            )
            self.fields[f"admin{index}_family_name"] = forms.CharField(
                label=_("Efternamn"), max_length=NAME_MAX, required=False
            )

    def admin_rows(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [
            (
                index,
                [self[f"admin{index}_{part}"] for part in ("hsa_id", "given_name", "family_name")],
            )
            for index in range(1, MAX_PROPOSED_ADMINS + 1)
        ]

    def proposals(self) -> list[AdminProposal]:
        """The filled-in rows (a row is left out only when all its fields are empty)."""
        rows = []
        for index in range(1, MAX_PROPOSED_ADMINS + 1):
            values = [
                self.cleaned_data.get(f"admin{index}_{part}", "")
                for part in ("hsa_id", "given_name", "family_name")
            ]
            if any(value.strip() for value in values) or index == 1:
                rows.append(AdminProposal(*values))
        return rows


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Skäl"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea,
        error_messages={"max_length": _("Texten är för lång: högst %(limit_value)d tecken.")},
    )


class AgreementForm(forms.Form):
    prefix = "avtal"

    reference = forms.CharField(label=_("Diarienummer"), max_length=AGREEMENT_REFERENCE_MAX, required=False)
    valid_from = forms.DateField(
        label=_("Gäller från"),
        input_formats=DATE_FORMATS,
        error_messages={"required": _("Ange första dagen avtalet gäller."), **DATE_ERRORS},
    )
    valid_to = forms.DateField(
        label=_("Gäller till och med (valfritt)"),
        input_formats=DATE_FORMATS,
        required=False,
        error_messages=DATE_ERRORS,
    )


class EndAgreementForm(forms.Form):
    prefix = "avsluta"

    agreement = forms.IntegerField(widget=forms.HiddenInput)
    last_day = forms.DateField(
        label=_("Sista dag avtalet gäller"),
        input_formats=DATE_FORMATS,
        error_messages={"required": _("Ange sista dagen avtalet gäller."), **DATE_ERRORS},
    )


class LocalAdminRequestForm(forms.Form):
    prefix = "lokaladmin"

    hsa_id = forms.CharField(label=_("HSA-id"), max_length=40, required=False)
    given_name = forms.CharField(label=_("Förnamn"), max_length=NAME_MAX, required=False)
    family_name = forms.CharField(label=_("Efternamn"), max_length=NAME_MAX, required=False)
    reason = forms.CharField(
        label=_("Varför behövs en lokal administratör? (valfritt)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea,
    )
