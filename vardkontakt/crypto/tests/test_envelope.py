"""Envelope encryption: what opens, what does not, and what a re-wrap changes."""

from __future__ import annotations

import pytest

from vardkontakt.crypto import envelope
from vardkontakt.crypto.envelope import DecryptionError, key_id, open_sealed, rewrap, seal
from vardkontakt.crypto.tests.conftest import KEY_A, KEY_B, ring

AAD = b"cases.Message.body:0b6c2d2e-8a39-4d55-9a55-0f1f1f4c1f0a"
RING_A = ring("a", {"a": KEY_A})
RING_A_B = ring("b", {"a": KEY_A, "b": KEY_B})
RING_B = ring("b", {"b": KEY_B})


@pytest.mark.parametrize(
    "plaintext",
    [b"", b"x", "Ont i halsen, feber 38,5°C. Åäö.".encode(), bytes(range(256)) * 40],
    ids=["empty", "one byte", "swedish text", "10 KiB binary"],
)
def test_round_trip_bytes(plaintext: bytes) -> None:
    blob = seal(plaintext, AAD, RING_A)
    assert open_sealed(blob, AAD, RING_A) == plaintext
    if len(plaintext) >= 8:  # a shorter run of bytes may turn up in random bytes by chance
        assert plaintext not in blob


def test_round_trip_text_with_the_default_ring() -> None:
    text = "Hej! Jag behöver förnya mitt recept på Levaxin 50 µg. Åäö ÅÄÖ 🙂"
    blob = seal(text.encode("utf-8"), AAD)
    assert key_id(blob) == "test1"  # the primary key of the test settings' ring
    assert open_sealed(blob, AAD).decode("utf-8") == text


def test_open_accepts_a_memoryview() -> None:
    """PostgreSQL hands a BinaryField back as a memoryview."""
    blob = seal(b"journal text", AAD, RING_A)
    assert open_sealed(memoryview(blob), AAD, RING_A) == b"journal text"
    assert key_id(memoryview(blob)) == "a"


def test_each_seal_uses_fresh_keys_and_nonces() -> None:
    first, second = seal(b"same text", AAD, RING_A), seal(b"same text", AAD, RING_A)
    assert first != second
    # Not one of the random parts (wrap nonce, wrapped key, data nonce, ciphertext) repeats.
    for part_a, part_b in zip(envelope._split(first)[1:], envelope._split(second)[1:], strict=True):
        assert part_a != part_b


@pytest.mark.parametrize(
    "other_aad",
    [
        b"cases.Message.body:0b6c2d2e-8a39-4d55-9a55-0f1f1f4c1f0b",  # another row
        b"cases.Message.subject:0b6c2d2e-8a39-4d55-9a55-0f1f1f4c1f0a",  # another attribute
        b"journal.Entry.body:0b6c2d2e-8a39-4d55-9a55-0f1f1f4c1f0a",  # another model
        b"",
    ],
    ids=["other row", "other attribute", "other model", "no associated data"],
)
def test_wrong_associated_data_does_not_open(other_aad: bytes) -> None:
    blob = seal(b"secret", AAD, RING_A)
    with pytest.raises(DecryptionError, match="wrong record or tampered"):
        open_sealed(blob, other_aad, RING_A)


def test_every_single_byte_change_is_refused() -> None:
    """Flipping any bit pattern in any byte (magic, key id, nonces, wrapped key, ciphertext, tag)
    raises DecryptionError, never another exception and never a wrong plaintext."""
    blob = seal(b"Remiss till ortopeden", AAD, RING_A)
    for position in range(len(blob)):
        for mask in (0x01, 0x80, 0xFF):
            tampered = bytearray(blob)
            tampered[position] ^= mask
            with pytest.raises(DecryptionError):
                open_sealed(bytes(tampered), AAD, RING_A)


def test_tampered_wrapped_key_is_refused_with_its_own_message() -> None:
    blob = bytearray(seal(b"secret", AAD, RING_A))
    wrapped_at = 3 + len("a") + envelope.NONCE  # magic, kid length, kid, wrap nonce
    blob[wrapped_at + 5] ^= 0x01
    with pytest.raises(DecryptionError, match="data key does not open"):
        open_sealed(bytes(blob), AAD, RING_A)


def test_tampered_ciphertext_is_refused_with_its_own_message() -> None:
    blob = bytearray(seal(b"secret", AAD, RING_A))
    blob[-1] ^= 0x01  # the last byte of the GCM tag of the data
    with pytest.raises(DecryptionError, match="the data does not open"):
        open_sealed(bytes(blob), AAD, RING_A)


@pytest.mark.parametrize(
    "blob", [b"", b"V", b"V1", b"XX\x01a" + bytes(100), b"V1\x01a" + bytes(20)], ids=repr
)
def test_truncated_or_foreign_blobs_are_refused(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        open_sealed(blob, AAD, RING_A)


def test_truncating_a_real_blob_is_refused_at_every_length() -> None:
    blob = seal(b"secret", AAD, RING_A)
    for length in range(len(blob)):
        with pytest.raises(DecryptionError):
            open_sealed(blob[:length], AAD, RING_A)


def test_a_key_id_that_is_not_in_the_ring_is_refused() -> None:
    blob = seal(b"secret", AAD, RING_A)
    with pytest.raises(DecryptionError, match="key 'a' is not in the key ring"):
        open_sealed(blob, AAD, RING_B)


def test_the_same_key_id_with_other_key_material_does_not_open() -> None:
    blob = seal(b"secret", AAD, RING_A)
    impostor = ring("a", {"a": KEY_B})
    with pytest.raises(DecryptionError, match="data key does not open"):
        open_sealed(blob, AAD, impostor)


def test_relabelling_the_key_id_does_not_open() -> None:
    """The key id is bound into the wrap: a blob relabelled to another key in the ring fails."""
    blob = seal(b"secret", AAD, ring("a", {"a": KEY_A}))
    relabelled = blob.replace(b"\x01a", b"\x01b", 1)
    both_same_material = ring("a", {"a": KEY_A, "b": KEY_A})
    assert open_sealed(blob, AAD, both_same_material) == b"secret"
    with pytest.raises(DecryptionError):
        open_sealed(relabelled, AAD, both_same_material)


def test_new_data_is_wrapped_under_the_primary_key() -> None:
    assert key_id(seal(b"x", AAD, RING_A_B)) == "b"


def test_rewrap_changes_the_wrap_only() -> None:
    old = seal(b"Provsvar: normalt", AAD, RING_A)
    new = rewrap(old, AAD, RING_A_B)
    assert key_id(old) == "a"
    assert key_id(new) == "b"
    _, old_wrap_nonce, old_wrapped, old_data_nonce, old_ciphertext = envelope._split(old)
    _, new_wrap_nonce, new_wrapped, new_data_nonce, new_ciphertext = envelope._split(new)
    assert (new_data_nonce, new_ciphertext) == (old_data_nonce, old_ciphertext)
    assert new_wrapped != old_wrapped
    assert new_wrap_nonce != old_wrap_nonce
    assert open_sealed(new, AAD, RING_A_B) == b"Provsvar: normalt"
    assert open_sealed(new, AAD, RING_B) == b"Provsvar: normalt"
    with pytest.raises(DecryptionError):
        open_sealed(new, AAD, RING_A)


def test_rewrap_under_the_primary_key_is_a_no_op() -> None:
    blob = seal(b"x", AAD, RING_A_B)
    assert rewrap(blob, AAD, RING_A_B) == blob


def test_rewrap_refuses_a_blob_of_another_record() -> None:
    blob = seal(b"x", AAD, RING_A)
    with pytest.raises(DecryptionError):
        rewrap(blob, AAD + b"x", RING_A_B)
