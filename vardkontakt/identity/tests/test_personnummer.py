"""Parsing personnummer and samordningsnummer.

Every number here is one of Skatteverket's official test numbers (data/testpersonnummer.csv,
data/testsamordningsnummer.csv), or one of them with a digit altered so that it is wrong.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from vardkontakt.identity.personnummer import Personnummer, luhn_check_digit, parse

DATA = Path(settings.BASE_DIR) / "data"
TODAY = date(2026, 11, 25)

ANNA = "198701022389"  # born 1987-01-02
OLD = "189001019802"  # born 1890-01-01: 100 or older, so written with a plus
CENTENARIAN = "192601049030"  # born 1926-01-04: turns 100 on 2026-01-04
NEWBORN = "202306102381"  # born 2023-06-10
SAMORDNING = "191401682396"  # born 1914-01-08 (day 68 = 8 + 60)
SAMORDNING_RECENT = "202201612393"  # born 2022-01-01
NO_DAY = "191711602399"  # samordningsnummer, November 1917, day unknown (60 = 00 + 60)
NO_MONTH = "191500722390"  # samordningsnummer, 1915, month unknown, day 12
NO_DATE = "193100602394"  # samordningsnummer, 1931, month and day unknown


@cache
def official(kind: str) -> tuple[str, ...]:
    with (DATA / f"test{kind}.csv").open(newline="") as handle:
        return tuple(row[0] for row in csv.reader(handle) if row and row[0].isdigit())


def separator(number: Personnummer, today: date) -> str:
    return "+" if number.age_on(today) >= 100 else "-"


def test_the_numbers_used_here_are_official() -> None:
    persons, coordination = set(official("personnummer")), set(official("samordningsnummer"))
    assert {ANNA, OLD, CENTENARIAN, NEWBORN} <= persons
    assert {SAMORDNING, SAMORDNING_RECENT, NO_DAY, NO_MONTH, NO_DATE} <= coordination


@pytest.mark.parametrize(
    "written",
    [
        "198701022389",
        "19870102-2389",
        "8701022389",
        "870102-2389",
        " 870102-2389 ",
        "\t19870102-2389\n",
        "\u00a0198701022389\u2003",  # no-break space and em space around it
    ],
    ids=repr,
)
def test_every_accepted_form(written: str) -> None:
    number = parse(written, today=TODAY)
    assert number.digits == ANNA
    assert number.birth_date == date(1987, 1, 2)
    assert number.is_coordination_number is False
    assert number.birth_date_complete is True
    assert str(number) == "19870102-2389"
    assert number.masked == "19870102-****"


@pytest.mark.parametrize("written", ["189001019802", "18900101-9802", "900101+9802"])
def test_people_100_or_older(written: str) -> None:
    number = parse(written, today=TODAY)
    assert number.digits == OLD
    assert number.birth_date == date(1890, 1, 1)
    assert number.age_on(TODAY) == 136


def test_the_minus_form_of_an_old_number_is_someone_else() -> None:
    # The same ten digits with a minus are someone born in 1990: the separator carries the century.
    assert parse("900101-9802", today=TODAY).birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    ("written", "today", "born"),
    [
        # A two-digit year is the most recent year that puts the birth date not after today ...
        ("230610-2381", date(2023, 6, 10), date(2023, 6, 10)),  # born today
        ("230610-2381", date(2023, 6, 9), date(1923, 6, 10)),  # the day before: a century earlier
        ("230610-2381", date(2099, 12, 31), date(2023, 6, 10)),
        ("230610-2381", date(2123, 6, 9), date(2023, 6, 10)),  # 99 years old
        # ... and the plus goes back one more century, for people who are 100 or older.
        ("230610+2381", date(2123, 6, 10), date(2023, 6, 10)),  # 100 today
        ("230610+2381", date(2123, 6, 9), date(1923, 6, 10)),
        ("260104-9030", date(2026, 1, 3), date(1926, 1, 4)),  # the last day at 99
        ("260104+9030", date(2026, 1, 4), date(1926, 1, 4)),  # the 100th birthday
        ("260104-9030", date(2026, 1, 4), date(2026, 1, 4)),  # with a minus that day: a newborn
        ("000101-2384", date(2026, 11, 25), date(2000, 1, 1)),  # data/testpersonnummer.csv
    ],
)
def test_century_inference_around_today(written: str, today: date, born: date) -> None:
    assert parse(written, today=today).birth_date == born


def test_ages() -> None:
    number = parse(CENTENARIAN, today=TODAY)
    assert number.age_on(date(2026, 1, 3)) == 99
    assert number.age_on(date(2026, 1, 4)) == 100
    assert parse(NEWBORN, today=TODAY).age_on(date(2023, 6, 10)) == 0


def test_samordningsnummer_is_recognised_with_the_real_birth_date() -> None:
    for written in (SAMORDNING, "19140168-2396", "140168+2396"):
        number = parse(written, today=TODAY)
        assert number.digits == SAMORDNING  # the stored digits keep the day as written
        assert number.is_coordination_number is True
        assert number.birth_date == date(1914, 1, 8)
        assert number.birth_date_complete is True
    recent = parse("220161-2393", today=TODAY)
    assert (recent.digits, recent.birth_date, recent.is_coordination_number) == (
        SAMORDNING_RECENT,
        date(2022, 1, 1),
        True,
    )
    assert parse(ANNA, today=TODAY).is_coordination_number is False


@pytest.mark.parametrize(
    ("written", "born"),
    [(NO_DAY, date(1917, 11, 1)), (NO_MONTH, date(1915, 1, 12)), (NO_DATE, date(1931, 1, 1))],
    ids=["day unknown", "month unknown", "both unknown"],
)
def test_samordningsnummer_with_an_incomplete_birth_date(written: str, born: date) -> None:
    """Skatteverket writes an unknown month as 00 and an unknown day as 60 (00 + 60); the birth date
    is then the earliest one possible."""
    number = parse(written, today=TODAY)
    assert number.digits == written
    assert number.is_coordination_number is True
    assert number.birth_date == born
    assert number.birth_date_complete is False
    assert parse(f"{written[2:8]}{separator(number, TODAY)}{written[8:]}", today=TODAY) == number


def assert_invalid(written: str, code: str, message: str, today: date = TODAY) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(written, today=today)
    assert caught.value.code == code
    assert caught.value.messages == [message]


FORMAT = "Personnumret ska skrivas som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."
NO_SUCH_DATE = "Personnumret innehåller ett datum som inte finns."
FUTURE = "Personnumret innehåller ett datum i framtiden."
CHECK = "Personnumret har fel kontrollsiffra."


@pytest.mark.parametrize("written", ["", "   ", "\n"], ids=repr)
def test_empty_input(written: str) -> None:
    assert_invalid(written, "required", "Ange ett personnummer.")


@pytest.mark.parametrize(
    "written",
    [
        "19870102238",  # eleven digits
        "1987010223890",  # thirteen digits
        "987010223",  # nine digits
        "870102--2389",
        "870102_2389",
        "8701-022389",
        "870102/2389",
        "19870102-238",
        "870102-2389x",
        "ÅÅMMDD-NNNN",
        "870102\n2389",
        "１９８７０１０２２３８９",  # full-width digits
        "١٩٨٧٠١٠٢٢٣٨٩",  # Arabic-Indic digits
    ],
    ids=repr,
)
def test_bad_format(written: str) -> None:
    assert_invalid(written, "format", FORMAT)


def test_a_plus_with_a_four_digit_year() -> None:
    assert_invalid("18900101+9802", "format", "Plustecken används bara med tvåsiffrigt årtal.")


@pytest.mark.parametrize(
    "written",
    [
        "19870230-2389",  # 30 February
        "19870229-2389",  # 29 February in a common year
        "19871301-2389",  # month 13
        "19870100-2389",  # day 00 in a personnummer
        "19870002-2389",  # month 00 in a personnummer
        "19870132-2389",  # day 32
        "19870159-2389",  # neither a day nor a coordination day
        "19870192-2389",  # coordination day 92 = 32
        "19870289-2389",  # coordination day 89 = 29 February in a common year
        "00000101-2384",  # year 0
    ],
)
def test_impossible_dates(written: str) -> None:
    assert_invalid(written, "date", NO_SUCH_DATE)


def test_a_leap_day_is_a_date() -> None:
    leap = "189202299815"  # data/testpersonnummer.csv
    assert leap in official("personnummer")
    assert parse(leap, today=TODAY).birth_date == date(1892, 2, 29)


@pytest.mark.parametrize(
    ("written", "today"),
    [
        (NEWBORN, date(2023, 6, 9)),
        ("20230610-2381", date(2000, 1, 1)),
        (SAMORDNING_RECENT, date(2021, 12, 31)),
    ],
)
def test_future_dates(written: str, today: date) -> None:
    assert_invalid(written, "date", FUTURE, today=today)


@pytest.mark.parametrize(
    "official_number", [ANNA, OLD, NEWBORN, SAMORDNING, NO_DATE, "195801122655", "201203052392"]
)
def test_a_wrong_check_digit(official_number: str) -> None:
    for wrong in "0123456789":
        if wrong == official_number[-1]:
            continue
        altered = official_number[:-1] + wrong
        assert_invalid(altered, "check_digit", CHECK)
        assert_invalid(f"{altered[2:8]}-{altered[8:]}", "check_digit", CHECK)


def test_two_swapped_digits_are_caught() -> None:
    swapped = ANNA[:8] + ANNA[9] + ANNA[8] + ANNA[10:]  # 1987010232 89
    assert_invalid(swapped, "check_digit", CHECK)


def test_the_luhn_digit_of_official_numbers() -> None:
    for number in official("personnummer")[:200] + official("samordningsnummer")[:200]:
        assert luhn_check_digit(number[2:11]) == int(number[11])


def sample() -> list[str]:
    chooser = random.Random(1177)  # a fixed sample, the same in every run
    return chooser.sample(official("personnummer"), 400) + chooser.sample(official("samordningsnummer"), 100)


@pytest.mark.parametrize("number", sample())
def test_a_sample_of_official_numbers_parses(number: str) -> None:
    coordination = number in official("samordningsnummer")
    parsed = parse(number, today=TODAY)
    assert parsed.digits == number
    assert parsed.is_coordination_number is coordination
    month, day = int(number[4:6]), int(number[6:8]) - (60 if coordination else 0)
    assert parsed.birth_date_complete is (month != 0 and day != 0)
    assert parsed.birth_date == date(int(number[:4]), month or 1, day or 1)
    for written in (
        f"{number[:8]}-{number[8:]}",
        f"{number[2:8]}{separator(parsed, TODAY)}{number[8:]}",
        f"  {number}  ",
    ):
        assert parse(written, today=TODAY) == parsed


def test_every_official_number_parses_in_its_long_and_short_forms() -> None:
    failures: list[tuple[str, object]] = []
    for kind in ("personnummer", "samordningsnummer"):
        for number in official(kind):
            try:
                parsed = parse(number, today=TODAY)
                short = parse(f"{number[2:8]}{separator(parsed, TODAY)}{number[8:]}", today=TODAY)
            except ValidationError as exc:
                failures.append((number, exc.messages))
                continue
            if short != parsed or parsed.digits != number:
                failures.append((number, "short form differs"))
    assert failures == []
    assert len(official("personnummer")) > 20000
    assert len(official("samordningsnummer")) > 2000
