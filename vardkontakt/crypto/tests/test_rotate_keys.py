"""Key rotation with the ``rotate_keys`` command: re-wrap under the new key, data untouched, old key
removable afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from vardkontakt.crypto import envelope
from vardkontakt.crypto.envelope import DecryptionError, key_id
from vardkontakt.crypto.tests.conftest import RING_A, RING_A_B, RING_B
from vardkontakt.crypto.tests.test_fields import make_resident
from vardkontakt.identity.models import Resident

# data/testpersonnummer.csv
NUMBERS = ["198701022389", "195801122655", "199001012385", "197001239297", "194501128278"]

pytestmark = pytest.mark.django_db


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def blobs() -> dict[uuid.UUID, bytes]:
    return {pk: bytes(blob) for pk, blob in Resident.objects.values_list("pk", "pnr_sealed")}


def test_rotation_rewraps_everything_and_the_old_key_can_go(use_keyring: Callable[[str], None]) -> None:
    use_keyring(RING_A)
    residents = {make_resident(number).pk: number for number in NUMBERS}
    before = blobs()
    assert {key_id(blob) for blob in before.values()} == {"a"}

    use_keyring(RING_A_B)  # B added and made primary; A still readable
    assert {Resident.objects.get(pk=pk).personnummer for pk in residents} == set(NUMBERS)
    with pytest.raises(SystemExit) as exit_info:
        rotate("--check")
    assert exit_info.value.code not in (0, None)

    out = rotate("--batch-size", "2")  # more rows than one batch
    assert "identity.Resident.personnummer: re-wrapped 5 under b" in out
    after = blobs()
    assert after.keys() == before.keys()
    for pk, blob in after.items():
        assert key_id(blob) == "b"
        assert blob != before[pk]
        # The data nonce and ciphertext are byte for byte the same: only the data key was re-wrapped.
        assert envelope._split(blob)[3:] == envelope._split(before[pk])[3:]
        assert Resident.objects.get(pk=pk).personnummer == residents[pk]

    assert "identity.Resident.personnummer: 0 not under b" in rotate("--check")  # no SystemExit
    assert "re-wrapped 0" in rotate()  # a second run has nothing to do
    assert blobs() == after

    use_keyring(RING_B)  # A removed
    for pk, number in residents.items():
        assert Resident.objects.get(pk=pk).personnummer == number
    assert Resident.objects.by_personnummer(NUMBERS[0]) is not None  # the blind index did not change


def test_check_reports_a_single_straggler(use_keyring: Callable[[str], None]) -> None:
    use_keyring(RING_B)
    make_resident(NUMBERS[0])
    use_keyring(RING_A_B)
    rotate("--check")
    use_keyring(RING_A)  # someone restarted a process with the old ring: it writes under A
    straggler = make_resident(NUMBERS[1])
    use_keyring(RING_A_B)
    with pytest.raises(SystemExit) as exit_info:
        rotate("--check")
    assert exit_info.value.code == 1
    rotate()
    assert key_id(Resident.objects.get(pk=straggler.pk).pnr_sealed) == "b"
    rotate("--check")


def test_data_under_a_key_that_left_the_ring_is_named(use_keyring: Callable[[str], None]) -> None:
    use_keyring(RING_A)
    resident = make_resident(NUMBERS[0])
    use_keyring(RING_B)  # A removed before the rotation ran
    with pytest.raises(DecryptionError):
        _ = Resident.objects.get(pk=resident.pk).personnummer
    with pytest.raises(CommandError, match=rf"identity.Resident.personnummer of {resident.pk}: key 'a'"):
        rotate()
