"""Forms of the clinic settings pages (case types, residents approved for contact, guardian blocks).
They carry what was typed; the actions decide what is allowed and put their errors back here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vardkontakt.cases.actions import QUESTION_KINDS, QUESTIONS_MAX, CaseTypeSpec, Question
from vardkontakt.cases.models import CaseType

KIND_LABELS = {
    "text": _("Fritext"),
    "choice": _("Val bland alternativ"),
    "yesno": _("Ja eller nej"),
    "date": _("Datum"),
}
BLANK_QUESTIONS = 2  # empty rows below the questions a type already has


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def blocks(value: str) -> list[str]:
    """Texts separated by a blank line (standard replies may span several lines)."""
    parts, current = [], []
    for line in (value or "").replace("\r\n", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            parts.append("\n".join(current))
            current = []
    if current:
        parts.append("\n".join(current))
    return parts


class CaseTypeForm(forms.Form):
    name = forms.CharField(label=_("Namn"), required=False)
    description = forms.CharField(label=_("Beskrivning"), required=False, widget=forms.Textarea)
    terms = forms.CharField(label=_("Villkorstext (valfritt)"), required=False, widget=forms.Textarea)
    answer_days = forms.IntegerField(
        label=_("Utlovad svarstid i arbetsdagar"),
        required=False,
        error_messages={"invalid": _("Ange svarstiden som ett antal arbetsdagar, 1–30.")},
    )
    answer_options = forms.CharField(
        label=_("Fasta svarsalternativ (valfritt)"), required=False, widget=forms.Textarea
    )
    standard_replies = forms.CharField(
        label=_("Standardsvar (valfritt)"), required=False, widget=forms.Textarea
    )
    resident_may_reply = forms.BooleanField(label=_("Invånaren kan svara i ärendet"), required=False)
    restricted = forms.BooleanField(
        label=_("Bara för invånare som mottagningen ger den till"), required=False
    )

    def __init__(self, *args: Any, case_type: CaseType | None = None, **kwargs: Any) -> None:
        if case_type is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = initial_of(case_type)
        super().__init__(*args, **kwargs)
        existing = len(case_type.form) if case_type is not None else 0
        self.question_count = min(QUESTIONS_MAX, existing + BLANK_QUESTIONS)
        for number in range(1, self.question_count + 1):
            prefix = f"question_{number}"
            self.fields[f"{prefix}_label"] = forms.CharField(label=_("Fråga"), required=False)
            self.fields[f"{prefix}_kind"] = forms.ChoiceField(
                label=_("Typ av svar"),
                choices=[(kind, KIND_LABELS[kind]) for kind in QUESTION_KINDS],
                required=False,
            )
            self.fields[f"{prefix}_required"] = forms.BooleanField(label=_("Måste besvaras"), required=False)
            self.fields[f"{prefix}_choices"] = forms.CharField(
                label=_("Svarsalternativ, ett per rad"), required=False, widget=forms.Textarea
            )
            self.fields[f"{prefix}_key"] = forms.CharField(required=False, widget=forms.HiddenInput)

    def question_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "number": number,
                "label": self[f"question_{number}_label"],
                "kind": self[f"question_{number}_kind"],
                "required": self[f"question_{number}_required"],
                "choices": self[f"question_{number}_choices"],
                "key": self[f"question_{number}_key"],
            }
            for number in range(1, self.question_count + 1)
        ]

    def spec(self) -> CaseTypeSpec:
        data = self.cleaned_data
        questions = tuple(
            Question(
                label=data.get(f"question_{n}_label", ""),
                kind=data.get(f"question_{n}_kind") or "text",
                required=bool(data.get(f"question_{n}_required")),
                choices=tuple(lines(data.get(f"question_{n}_choices", ""))),
                key=data.get(f"question_{n}_key", ""),
            )
            for n in range(1, self.question_count + 1)
        )
        return CaseTypeSpec(
            name=data["name"],
            description=data["description"],
            questions=questions,
            terms=data["terms"],
            answer_days=data["answer_days"],
            answer_options=tuple(lines(data["answer_options"])),
            standard_replies=tuple(blocks(data["standard_replies"])),
            resident_may_reply=data["resident_may_reply"],
            restricted=data["restricted"],
        )


def initial_of(case_type: CaseType) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": case_type.name,
        "description": case_type.description,
        "terms": case_type.terms,
        "answer_days": case_type.answer_days,
        "answer_options": "\n".join(case_type.answer_options or []),
        "standard_replies": "\n\n".join(case_type.standard_replies or []),
        "resident_may_reply": case_type.resident_may_reply,
        "restricted": case_type.restricted,
    }
    for number, question in enumerate(case_type.form, start=1):
        prefix = f"question_{number}"
        initial[f"{prefix}_label"] = question.get("label", "")
        initial[f"{prefix}_kind"] = question.get("kind", "text")
        initial[f"{prefix}_required"] = bool(question.get("required"))
        initial[f"{prefix}_choices"] = "\n".join(question.get("choices", []))
        initial[f"{prefix}_key"] = question.get("key", "")
    return initial


DATE_ERROR = _("Skriv datumet som ÅÅÅÅ-MM-DD.")


class PersonnummerForm(forms.Form):
    """One resident, by personnummer (only ever in a POST body)."""

    personnummer = forms.CharField(label=_("Personnummer"), required=False, max_length=20)


class HandTypeForm(PersonnummerForm):
    until = forms.DateField(
        label=_("Får använda ärendetypen till och med"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_ERROR},
    )


class GuardianBlockForm(forms.Form):
    child = forms.CharField(label=_("Barnets personnummer"), required=False, max_length=20)
    guardian = forms.CharField(label=_("Vårdnadshavarens personnummer"), required=False, max_length=20)
    all_units = forms.BooleanField(label=_("Gäller alla vårdenheter"), required=False)
    reason = forms.CharField(label=_("Skäl till beslutet"), required=False, widget=forms.Textarea)
    valid_from = forms.DateField(
        label=_("Gäller från (valfritt, annars i dag)"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_ERROR},
    )
    valid_until = forms.DateField(
        label=_("Gäller till och med (valfritt)"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_ERROR},
    )
