"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

Accepted written forms: ``YYYYMMDDNNNC``, ``YYYYMMDD-NNNC``, ``YYMMDDNNNC``, ``YYMMDD-NNNC`` and
``YYMMDD+NNNC`` (the plus says the person is 100 or older). Spaces around the input are ignored. The
canonical stored form is 12 digits. A coordination number has 60 added to the day of birth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_PATTERN = re.compile(
    r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$"
)


def luhn_check_digit(nine_digits: str) -> int:
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class Personnummer:
    digits: str  # 12 digits, YYYYMMDDNNNC
    birth_date: date
    is_coordination_number: bool

    def __str__(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def masked(self) -> str:
        """For screens that must show which person without the whole number: ``YYYYMMDD-****``."""
        return f"{self.digits[:8]}-****"


def parse(value: str, *, today: date | None = None) -> Personnummer:
    """Parse a personnummer or samordningsnummer; raise ``ValidationError`` with a clear message."""
    text = (value or "").strip().replace(" ", "")
    if not text:
        raise ValidationError(_("Ange ett personnummer."), code="required")
    match = _PATTERN.match(text)
    if not match:
        raise ValidationError(
            _("Personnumret ska skrivas som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."), code="format"
        )
    today = today or timezone.localdate()
    century, yy, mm, dd = match["century"], int(match["yy"]), int(match["mm"]), int(match["dd"])
    sep = match["sep"]
    if century is not None and sep == "+":
        raise ValidationError(_("Plustecken används bara med tvåsiffrigt årtal."), code="format")
    coordination = dd > 60
    day = dd - 60 if coordination else dd
    if century is not None:
        year = int(century) * 100 + yy
    else:
        year = (today.year // 100) * 100 + yy
        if (year, mm, day) > (today.year, today.month, today.day):
            year -= 100
        if sep == "+":
            year -= 100
    try:
        birth = date(year, mm, day)
    except ValueError:
        raise ValidationError(_("Personnumret innehåller ett datum som inte finns."), code="date") from None
    if birth > today:
        raise ValidationError(_("Personnumret innehåller ett datum i framtiden."), code="date")
    ten = f"{yy:02d}{mm:02d}{dd:02d}{match['serial']}"
    if luhn_check_digit(ten) != int(match["check"]):
        raise ValidationError(_("Personnumret har fel kontrollsiffra."), code="check_digit")
    return Personnummer(
        digits=f"{year:04d}{mm:02d}{dd:02d}{match['serial']}{match['check']}",
        birth_date=birth,
        is_coordination_number=coordination,
    )
