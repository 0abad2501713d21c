"""HSA-ids: the canonical form, and the problems named in the error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from vardkontakt.identity.hsa import MAX_LENGTH, normalize_hsa_id, validate_hsa_id

FORMAT = (
    "Ett HSA-id skrivs som SE, tio siffror, bindestreck och bokstäver eller siffror, "
    "till exempel SE2321000016-1003."
)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("SE2321000016-1003", "SE2321000016-1003"),
        ("SE2321000016-E12X", "SE2321000016-E12X"),
        ("SE5599999999-0001", "SE5599999999-0001"),
        ("se2321000016-ab1c", "SE2321000016-AB1C"),
        ("Se2321000016-h001", "SE2321000016-H001"),
        ("  SE2321000016-1003\n", "SE2321000016-1003"),
        ("SE2321000016-" + "A" * 18, "SE2321000016-" + "A" * 18),  # 31 characters
    ],
)
def test_valid_forms_are_normalised(written: str, canonical: str) -> None:
    assert normalize_hsa_id(written) == canonical
    validate_hsa_id(canonical)


def test_the_longest_allowed_is_31_characters() -> None:
    assert MAX_LENGTH == 31
    assert len(normalize_hsa_id("SE2321000016-" + "9" * 18)) == 31


def assert_invalid(written: str, code: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_hsa_id(written)
    assert caught.value.code == code
    assert caught.value.messages == [message]


@pytest.mark.parametrize("written", ["", "  "], ids=repr)
def test_empty(written: str) -> None:
    assert_invalid(written, "required", "Ange ett HSA-id.")


@pytest.mark.parametrize(
    "written", ["SE2321000016-" + "A" * 19, "SE2321000016-1003" + "0" * 20], ids=["32", "37"]
)
def test_too_long(written: str) -> None:
    assert_invalid(written, "length", "Ett HSA-id har högst 31 tecken.")


@pytest.mark.parametrize(
    "written",
    [
        "2321000016-1003",  # no SE
        "SV2321000016-1003",
        "SE232100001-1003",  # nine digits
        "SE23210000166-1003",  # eleven digits
        "SE2321000016",  # no suffix
        "SE2321000016-",
        "SE2321000016_1003",
        "SE2321000016--1003",
        "SE2321000016-10 03",
        "SE2321000016-1003-",
        "SE2321000016-ÅÄÖ1",
        "SE2321000016-ﬁ",  # upper-cases to "FI"; not what was written
        "SE٢٣٢١٠٠٠٠١٦-1003",  # Arabic-Indic digits
        "SE２３２１００００１６-1003",  # full-width digits
        "SE2321000016-1003\x00",
    ],
    ids=repr,
)
def test_bad_forms(written: str) -> None:
    assert_invalid(written, "format", FORMAT)


def test_the_model_validator_wants_the_canonical_form() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_hsa_id("se2321000016-1003")
    assert caught.value.code == "case"
    with pytest.raises(ValidationError) as caught:
        validate_hsa_id("SE2321000016-10 03")
    assert caught.value.code == "format"
