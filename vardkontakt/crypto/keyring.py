"""The key ring: key-encryption keys (KEKs) by id, the primary one, and the MAC key.

Format (JSON, in VK_KEYRING or in the file named by VK_KEYRING_FILE)::

    {"primary": "2026-11", "keys": {"2026-11": "<base64 of 32 bytes>"}, "mac_key": "<base64 of 32 bytes>"}

- ``keys``: every KEK that may still wrap a data key. New data is wrapped under ``primary``; the
  ``rotate_keys`` command re-wraps old data, after which an old KEK can be removed.
- ``mac_key``: the root of the keyed hashes (personnummer blind index, access-log chain). It never
  rotates with the KEKs, since the look-ups and the chain depend on it.

In DEBUG mode with neither variable set, a development key ring is created once in VK_VAR_DIR.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32
_KID_MAX = 32


@dataclass(frozen=True, eq=False)  # hashed by identity, for the subkey cache
class KeyRing:
    primary_id: str
    keys: dict[str, bytes]
    mac_key: bytes

    def kek(self, kid: str) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise KeyError(f"key {kid!r} is not in the key ring") from None

    @property
    def primary(self) -> tuple[str, bytes]:
        return self.primary_id, self.keys[self.primary_id]

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose, derived from the MAC key with HKDF (so purposes never share a key)."""
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(
            self.mac_key
        )

    def mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(_subkey_cached(self, purpose), data, hashlib.sha256).digest()


@cache
def _subkey_cached(ring: KeyRing, purpose: str) -> bytes:
    return ring.subkey(purpose)


def generate_keyring_json(kid: str = "k1") -> str:
    return json.dumps(
        {
            "primary": kid,
            "keys": {kid: base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()},
            "mac_key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
        },
        indent=2,
    )


def _decode_key(raw: object, where: str) -> bytes:
    if not isinstance(raw, str):
        raise ImproperlyConfigured(f"Key ring: {where} must be a base64 string.")
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"Key ring: {where} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(f"Key ring: {where} must be {KEY_BYTES} bytes, not {len(key)}.")
    return key


def parse_keyring(text: str, source: str) -> KeyRing:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"Key ring from {source} is not valid JSON: {exc.msg} (line {exc.lineno})."
        ) from None
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f"Key ring from {source} must be a JSON object.")
    missing = [field for field in ("primary", "keys", "mac_key") if field not in data]
    if missing:
        raise ImproperlyConfigured(f"Key ring from {source} lacks {', '.join(missing)}.")
    keys_raw = data["keys"]
    if not isinstance(keys_raw, dict) or not keys_raw:
        raise ImproperlyConfigured(f"Key ring from {source}: keys must be a non-empty object of id to key.")
    keys: dict[str, bytes] = {}
    for kid, raw in keys_raw.items():
        if not (0 < len(kid) <= _KID_MAX and kid.isascii() and kid.isprintable()):
            raise ImproperlyConfigured(
                f"Key ring from {source}: key id {kid!r} must be 1-{_KID_MAX} ASCII characters."
            )
        keys[kid] = _decode_key(raw, f"key {kid!r}")
    primary = data["primary"]
    if not isinstance(primary, str) or primary not in keys:
        raise ImproperlyConfigured(f"Key ring from {source}: primary key {primary!r} is not among the keys.")
    return KeyRing(primary_id=primary, keys=keys, mac_key=_decode_key(data["mac_key"], "mac_key"))


def load_keyring() -> KeyRing:
    if settings.VK_KEYRING:
        return parse_keyring(settings.VK_KEYRING, "VK_KEYRING")
    path_setting = settings.VK_KEYRING_FILE
    if not path_setting and settings.DEBUG:
        path = Path(settings.VAR_DIR) / "keyring.dev.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_keyring_json())
        path_setting = str(path)
    if not path_setting:
        raise ImproperlyConfigured(
            "No key ring: set VK_KEYRING (JSON) or VK_KEYRING_FILE (a path). "
            "`manage.py generate_keyring` prints a new one."
        )
    try:
        text = Path(path_setting).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"Key ring file {path_setting} cannot be read: {exc.strerror}.") from None
    return parse_keyring(text, path_setting)


@cache
def get_keyring() -> KeyRing:
    return load_keyring()


def reset_keyring_cache() -> None:
    """Forget the loaded key ring (tests, and after a settings change)."""
    get_keyring.cache_clear()
    _subkey_cached.cache_clear()
