"""HSA-id: the identity of staff and units in the Swedish HSA directory.

Form: ``SE`` + a 10-digit organisation number + ``-`` + letters and digits; 31 characters at most.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 31
_PATTERN = re.compile(r"^SE\d{10}-[A-Z0-9]+$", re.ASCII)


def normalize_hsa_id(value: str) -> str:
    """Return the canonical (upper-case) HSA-id or raise ``ValidationError`` naming the problem."""
    raw = (value or "").strip()
    text = raw.upper()
    if not text:
        raise ValidationError(_("Ange ett HSA-id."), code="required")
    if len(text) > MAX_LENGTH:
        raise ValidationError(_("Ett HSA-id har högst 31 tecken."), code="length")
    # ASCII only, checked before upper-casing: "\ufb01".upper() is "FI", and a plain ``\d`` would also
    # take Arabic-Indic or full-width digits.
    if not raw.isascii() or not _PATTERN.match(text):
        raise ValidationError(
            _(
                "Ett HSA-id skrivs som SE, tio siffror, bindestreck och bokstäver eller siffror, till exempel SE2321000016-1003."
            ),
            code="format",
        )
    return text


def validate_hsa_id(value: str) -> None:
    if normalize_hsa_id(value) != value:
        raise ValidationError(_("HSA-id ska skrivas med versaler."), code="case")
