"""Forms of the staff tool's case pages. They check shape only; the actions decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vardkontakt.cases.actions import BODY_MAX
from vardkontakt.cases.forms import FILES_LABEL, FilesField

ACTION_DISTRIBUTE = "distribute"
ACTION_ANSWER = "answer"
ACTION_USE_REPLY = "use_reply"
ACTION_CLOSE = "close"


class DistributeForm(forms.Form):
    prefix = "fordela"

    # Checked against the clinic's handlers by actions.distribute_case.
    handler = forms.UUIDField(
        label=_("Ärendehanterare"),
        error_messages={
            "required": _("Välj en ärendehanterare på mottagningen."),
            "invalid": _("Välj en ärendehanterare på mottagningen."),
        },
    )
    interim = forms.CharField(
        label=_("Delsvar till invånaren (valfritt)"),
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea,
    )


class AnswerForm(forms.Form):
    prefix = "svar"

    # One of the type's fixed answer options, by position (actions.answer_case checks it).
    option = forms.IntegerField(label=_("Fast svarsalternativ"), required=False, min_value=0)
    body = forms.CharField(
        label=_("Svar till invånaren"), required=False, max_length=BODY_MAX, widget=forms.Textarea
    )
    signature = forms.CharField(label=_("Signatur"), required=False, max_length=200, widget=forms.Textarea)
    close = forms.BooleanField(label=_("Avsluta ärendet när svaret har skickats"), required=False)
    attachments = FilesField(label=FILES_LABEL)
    standard_reply = forms.IntegerField(label=_("Standardsvar"), required=False, min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("option") is None and not (data.get("body") or "").strip() and "body" not in self.errors:
            self.add_error("body", _("Skriv ett svar."))
        return data


class CloseForm(forms.Form):
    prefix = "avsluta"

    reason = forms.CharField(
        label=_("Anledning"),
        max_length=200,
        error_messages={"required": _("Skriv varför ärendet avslutas.")},
    )


def add_action_error(
    form: forms.Form, error: ValidationError, *, renames: dict[str, str] | None = None
) -> None:
    """Put an action's ValidationError on ``form``: on the field it names if the form has one, otherwise
    at the top of the form."""
    renames = renames or {}
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            name = renames.get(field, field)
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)
