"""Envelope encryption: AES-256-GCM under a per-record data key, wrapped by a KEK from the key ring.

A sealed blob is self-describing::

    b"V1" | len(kid):1 | kid | wrap_nonce:12 | wrapped_dek:48 | data_nonce:12 | ciphertext+tag

The data key is wrapped with AES-GCM under the KEK, with the key id and the record's associated data
bound in, and the data is encrypted with AES-GCM under the data key with the same associated data. The
associated data names the record (``"cases.Message.body:<uuid>"``), so a blob copied into another row
does not decrypt. Rotating the KEK re-wraps the data key only; the data ciphertext is left as it is.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vardkontakt.crypto.keyring import KeyRing, get_keyring

MAGIC = b"V1"
NONCE = 12
WRAPPED_DEK = 32 + 16


class DecryptionError(Exception):
    """The blob cannot be opened: wrong associated data, unknown key, or tampered bytes."""


def _split(blob: bytes) -> tuple[str, bytes, bytes, bytes, bytes]:
    if len(blob) < 3 or blob[:2] != MAGIC:
        raise DecryptionError("not a sealed blob")
    kid_len = blob[2]
    pos = 3 + kid_len
    try:
        kid = blob[3:pos].decode("ascii", errors="strict")
    except UnicodeDecodeError:  # a tampered key id must not escape as another kind of error
        raise DecryptionError("not a sealed blob") from None
    wrap_nonce = blob[pos : pos + NONCE]
    wrapped = blob[pos + NONCE : pos + NONCE + WRAPPED_DEK]
    data_nonce = blob[pos + NONCE + WRAPPED_DEK : pos + 2 * NONCE + WRAPPED_DEK]
    ciphertext = blob[pos + 2 * NONCE + WRAPPED_DEK :]
    if len(data_nonce) != NONCE or len(ciphertext) < 16:
        raise DecryptionError("truncated blob")
    return kid, wrap_nonce, wrapped, data_nonce, ciphertext


def _wrap_aad(kid: str, aad: bytes) -> bytes:
    return b"dek|" + kid.encode() + b"|" + aad


def _wrap(ring: KeyRing, dek: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
    kid, kek = ring.primary
    nonce = os.urandom(NONCE)
    return kid, nonce, AESGCM(kek).encrypt(nonce, dek, _wrap_aad(kid, aad))


def _unwrap(ring: KeyRing, kid: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes:
    try:
        kek = ring.kek(kid)
    except KeyError:
        raise DecryptionError(f"key {kid!r} is not in the key ring") from None
    try:
        return AESGCM(kek).decrypt(nonce, wrapped, _wrap_aad(kid, aad))
    except InvalidTag:
        raise DecryptionError("the data key does not open: wrong record or tampered blob") from None


def _assemble(kid: str, wrap_nonce: bytes, wrapped: bytes, data_nonce: bytes, ciphertext: bytes) -> bytes:
    kid_bytes = kid.encode("ascii")
    return MAGIC + bytes([len(kid_bytes)]) + kid_bytes + wrap_nonce + wrapped + data_nonce + ciphertext


def seal(plaintext: bytes, aad: bytes, ring: KeyRing | None = None) -> bytes:
    ring = ring or get_keyring()
    dek = AESGCM.generate_key(bit_length=256)
    data_nonce = os.urandom(NONCE)
    ciphertext = AESGCM(dek).encrypt(data_nonce, plaintext, aad)
    kid, wrap_nonce, wrapped = _wrap(ring, dek, aad)
    return _assemble(kid, wrap_nonce, wrapped, data_nonce, ciphertext)


def open_sealed(blob: bytes, aad: bytes, ring: KeyRing | None = None) -> bytes:
    ring = ring or get_keyring()
    kid, wrap_nonce, wrapped, data_nonce, ciphertext = _split(bytes(blob))
    dek = _unwrap(ring, kid, wrap_nonce, wrapped, aad)
    try:
        return AESGCM(dek).decrypt(data_nonce, ciphertext, aad)
    except InvalidTag:
        raise DecryptionError("the data does not open: wrong record or tampered blob") from None


def key_id(blob: bytes) -> str:
    return _split(bytes(blob))[0]


def rewrap(blob: bytes, aad: bytes, ring: KeyRing | None = None) -> bytes:
    """Re-wrap the data key under the primary KEK; the data ciphertext stays byte for byte."""
    ring = ring or get_keyring()
    kid, wrap_nonce, wrapped, data_nonce, ciphertext = _split(bytes(blob))
    if kid == ring.primary_id:
        return bytes(blob)
    dek = _unwrap(ring, kid, wrap_nonce, wrapped, aad)
    new_kid, new_nonce, new_wrapped = _wrap(ring, dek, aad)
    return _assemble(new_kid, new_nonce, new_wrapped, data_nonce, ciphertext)
