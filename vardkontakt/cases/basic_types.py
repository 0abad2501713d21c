"""The basic services (basutbud): central case types every connected clinic gets."""

from __future__ import annotations

from typing import Any

CONTACT_TERMS = (
    "Använd inte tjänsten om det är bråttom. Vid akuta besvär, ring 112 eller sök vård direkt. "
    "Mottagningen svarar inom den tid som anges."
)

BASIC_TYPES: list[dict[str, Any]] = [
    {
        "code": "av-omboka-tid",
        "name": "Av- eller omboka tid",
        "description": "Avboka eller boka om en tid du har fått.",
        "form": [
            {"key": "appointment", "label": "Vilken tid gäller det?", "kind": "text", "required": True},
            {
                "key": "action",
                "label": "Vill du avboka eller omboka?",
                "kind": "choice",
                "required": True,
                "choices": ["Avboka", "Omboka"],
            },
        ],
        "answer_days": 2,
    },
    {
        "code": "bestalla-tid",
        "name": "Beställa tid",
        "description": "Be mottagningen om en tid.",
        "form": [
            {
                "key": "preferred",
                "label": "Vilka dagar och tider passar dig?",
                "kind": "text",
                "required": False,
            }
        ],
        "answer_days": 2,
    },
    {
        "code": "fornya-recept",
        "name": "Förnya recept",
        "description": "Be om att få ett recept förnyat.",
        "form": [
            {"key": "medicine", "label": "Vilket läkemedel gäller det?", "kind": "text", "required": True},
            {
                "key": "same_dose",
                "label": "Tar du samma dos som tidigare?",
                "kind": "yesno",
                "required": True,
            },
        ],
        "answer_days": 3,
        "resident_may_reply": False,
    },
    {
        "code": "kontakta-mig",
        "name": "Kontakta mig",
        "description": "Be mottagningen att ringa upp dig.",
        "answer_days": 1,
    },
    {
        "code": "skicka-meddelande",
        "name": "Skicka meddelande",
        "description": "Skriv ett meddelande till mottagningen.",
        "answer_days": 2,
    },
    {
        "code": "begara-intyg",
        "name": "Begära intyg",
        "description": "Be om ett intyg, till exempel för arbetsgivaren eller Försäkringskassan.",
        "form": [
            {"key": "purpose", "label": "Vad ska intyget användas till?", "kind": "text", "required": True}
        ],
        "answer_days": 5,
    },
    {
        "code": "synpunkter",
        "name": "Synpunkter och klagomål",
        "description": "Lämna synpunkter på vården du har fått.",
        "answer_days": 10,
    },
]


# Templates for the reverse flow: a clinic writes to residents. Never offered to residents to start.
OUTBOUND_TYPES: list[dict[str, Any]] = [
    {
        "code": "information-fran-mottagningen",
        "name": "Information från mottagningen",
        "description": "Ett meddelande från mottagningen som inte går att svara på.",
        "answer_days": 0,
        "resident_may_reply": False,
        "outbound": True,
    },
    {
        "code": "fraga-fran-mottagningen",
        "name": "Fråga från mottagningen",
        "description": "En fråga från mottagningen som du kan svara på.",
        "answer_days": 0,
        "resident_may_reply": True,
        "outbound": True,
    },
]


def install(case_type_model: Any) -> None:
    """Create or update the basic types (used by the data migration and the demo seed)."""
    for spec in BASIC_TYPES + OUTBOUND_TYPES:
        defaults = {
            "name": spec["name"],
            "description": spec["description"],
            "form": spec.get("form", []),
            "terms": "" if spec.get("outbound") else CONTACT_TERMS,
            "answer_days": spec["answer_days"],
            "resident_may_reply": spec.get("resident_may_reply", True),
            "basic": True,
            "outbound": spec.get("outbound", False),
        }
        case_type_model.objects.update_or_create(code=spec["code"], unit=None, defaults=defaults)
