"""Swedish working days, for the date a clinic promises to answer by.

Public holidays come from the maintained ``holidays`` package. Midsummer Eve, Christmas Eve and New
Year's Eve are not public holidays in law but are days off in practice (and by most collective
agreements), so they do not count as working days either."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _days_off(year: int) -> frozenset[date]:
    public = holidays.country_holidays("SE", years=year)
    off = {day for day in public if day.weekday() < 5}
    midsummer_day = next(day for day, name in public.items() if name == "Midsummer Day")
    off |= {midsummer_day - timedelta(days=1), date(year, 12, 24), date(year, 12, 31)}
    return frozenset(off)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _days_off(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (a case sent on a Friday with 2 days: Tuesday)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
