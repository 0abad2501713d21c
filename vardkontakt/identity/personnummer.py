"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

Accepted written forms: ``YYYYMMDDNNNC``, ``YYYYMMDD-NNNC``, ``YYMMDDNNNC``, ``YYMMDD-NNNC`` and
``YYMMDD+NNNC`` (the plus says the person is 100 or older). Spaces around the input are ignored. The
canonical stored form is 12 digits. A coordination number has 60 added to the day of birth.

A coordination number may carry an incomplete birth date: month ``00`` and/or day ``60`` (day 00 plus
60) when Skatteverket does not know them (the official test numbers include such). Its ``birth_date``
is then the earliest date the known parts allow (1 January, or the 1st of the month) and
``birth_date_complete`` is false. The earliest date makes the person as old as they can be, so that an
age limit such as a guardian's access to a child under 13 ends early rather than late.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ASCII digits only: ``\d`` alone would also accept, say, Arabic-Indic or full-width digits.
_PATTERN = re.compile(
    r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$",
    re.ASCII,
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
    birth_date_complete: bool = True  # false: a coordination number with month 00 and/or day 60

    def __str__(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    @property
    def legal_sex(self) -> str:
        """Legal sex, "M" or "F": the second-to-last digit is odd for a man, even for a woman."""
        return "M" if int(self.digits[10]) % 2 else "F"

    @property
    def masked(self) -> str:
        """For screens that must show which person without the whole number: ``YYYYMMDD-****``."""
        return f"{self.digits[:8]}-****"


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on ``day``."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


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
    coordination = dd >= 60
    day = dd - 60 if coordination else dd
    # Only a coordination number may leave the month or the day unknown (00).
    complete = mm != 0 and day != 0
    if not coordination and not complete:
        raise ValidationError(_("Personnumret innehåller ett datum som inte finns."), code="date")
    if century is not None:
        year = int(century) * 100 + yy
    else:
        year = (today.year // 100) * 100 + yy
        if (year, mm, day) > (today.year, today.month, today.day):
            year -= 100
        if sep == "+":
            year -= 100
    try:
        birth = date(year, mm or 1, day or 1)
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
        birth_date_complete=complete,
    )
