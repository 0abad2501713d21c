"""Forms of the log review pages. They carry what was typed; the rules (period, HSA-id, personnummer,
sample size, what a conclusion needs) live in audit.actions, whose errors the views put back here."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vardkontakt.audit.models import ReviewOutcome, Verdict

DATE_INVALID = _("Skriv datumet som ÅÅÅÅ-MM-DD.")


class Radios(forms.RadioSelect):
    """Radios whose label target is the first radio, so that the error summary links to it."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return f"{id_}_{index or 0}" if id_ else ""


class FilterForm(forms.Form):
    # One of the reviewer's units; anything else is answered 404 by actions.create_filter.
    unit = forms.CharField(label=_("Mottagning"), required=False)
    staff_hsa_id = forms.CharField(label=_("Personalens HSA-id (valfritt)"), required=False, max_length=100)
    personnummer = forms.CharField(
        label=_("Invånarens personnummer (valfritt)"), required=False, max_length=40
    )
    date_from = forms.DateField(
        label=_("Från och med"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_INVALID},
    )
    date_to = forms.DateField(
        label=_("Till och med"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_INVALID},
    )


class SampleForm(forms.Form):
    prefix = "stickprov"

    # Checked by actions.draw_sample (1 to 200, and no more than the filter holds), so the error can say why.
    size = forms.CharField(label=_("Antal loggposter i stickprovet"), required=False, max_length=10)
    idempotency_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Formuläret är ofullständigt. Ladda om sidan och försök igen."),
            "invalid": _("Formuläret är ofullständigt. Ladda om sidan och försök igen."),
        },
    )


class ConclusionForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Slutsats"),
        choices=Verdict.choices,
        widget=Radios,
        required=False,
        error_messages={"invalid_choice": _("Välj en slutsats.")},
    )
    comment = forms.CharField(label=_("Kommentar"), required=False, widget=forms.Textarea)


class CloseForm(forms.Form):
    prefix = "avsluta"

    outcome = forms.ChoiceField(
        label=_("Samlad bedömning"),
        choices=ReviewOutcome.choices,
        widget=Radios,
        required=False,
        error_messages={"invalid_choice": _("Välj en samlad bedömning.")},
    )
    summary = forms.CharField(label=_("Granskningens slutsats"), required=False, widget=forms.Textarea)


def add_action_error(form: forms.Form, error: ValidationError) -> None:
    """Put an action's ValidationError on ``form``: on the field it names if the form has one,
    otherwise at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    else:
        for problem in error.messages:
            form.add_error(None, problem)
