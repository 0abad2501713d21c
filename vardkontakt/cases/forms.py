"""Forms for the resident's case pages. They carry what was typed; the rules (lengths, required
answers, choices, terms, who may send where) live in cases.actions, whose errors the views put back
on these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vardkontakt.cases.models import CaseType

YESNO = [("ja", _("Ja")), ("nej", _("Nej"))]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.Field):
    """Any number of files from one ``<input type=file multiple>``, as a list. Only the shape is checked
    here; count, size, type and viruses are cases.attachments' to judge (in the actions)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, data: Any) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [item for item in items if item and hasattr(item, "read")]


FILES_LABEL = _("Bifoga filer (valfritt)")


def question_fields(case_type: CaseType) -> list[dict[str, Any]]:
    """The case type's question form, as the template draws it."""
    return [{**field, "name": f"q_{field['key']}"} for field in case_type.form]


class CaseForm(forms.Form):
    """Step 3 of starting a case. Every field is optional here: send_case decides what is missing."""

    subject = forms.CharField(label=_("Rubrik"), required=False, strip=False)
    body = forms.CharField(label=_("Meddelande"), required=False, strip=False, widget=forms.Textarea)
    accept_terms = forms.BooleanField(label=_("Jag har läst och godkänner villkoren."), required=False)
    attachments = FilesField(label=FILES_LABEL)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    # The resident the form was shown for: a guardian whose proxy ended meanwhile must not send it
    # in their own name instead.
    resident = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, case_type: CaseType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_type = case_type
        for field in case_type.form:
            self.fields[f"q_{field['key']}"] = forms.CharField(
                label=field.get("label", field["key"]), required=False
            )
        self.fields["idempotency_key"].error_messages["required"] = _(
            "Formuläret är ofullständigt. Ladda om sidan och försök igen."
        )
        self.fields["idempotency_key"].error_messages["invalid"] = _(
            "Formuläret är ofullständigt. Ladda om sidan och försök igen."
        )

    def answers(self) -> dict[str, Any]:
        return {field["key"]: self.cleaned_data.get(f"q_{field['key']}", "") for field in self.case_type.form}

    def questions(self) -> list[dict[str, Any]]:
        """The questions with their bound field (value and errors), in form order."""
        return [{**question, "field": self[question["name"]]} for question in question_fields(self.case_type)]

    def add_action_error(self, error: ValidationError) -> None:
        add_action_error(self, error)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Ditt svar"), required=False, strip=False, widget=forms.Textarea)
    attachments = FilesField(label=FILES_LABEL)


def add_action_error(form: forms.Form, error: ValidationError) -> None:
    """Put an action's ValidationError on ``form``: keyed messages on their fields, others on top."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            for message in messages:
                form.add_error(key if key in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)
