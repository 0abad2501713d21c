"""Key rings for the crypto tests, and a fixture that switches the process to one of them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator

import pytest
from django.test import override_settings

from vardkontakt.crypto.keyring import KEY_BYTES, KeyRing, parse_keyring, reset_keyring_cache

# Fixed, public test keys: distinct bytes so that a mix-up of keys shows.
KEY_A = bytes([0xA1]) * KEY_BYTES
KEY_B = bytes([0xB2]) * KEY_BYTES
MAC_KEY = bytes([0x3C]) * KEY_BYTES


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def ring_json(primary: str, keys: dict[str, bytes], mac_key: bytes = MAC_KEY) -> str:
    return json.dumps(
        {"primary": primary, "keys": {kid: b64(key) for kid, key in keys.items()}, "mac_key": b64(mac_key)}
    )


def ring(primary: str, keys: dict[str, bytes], mac_key: bytes = MAC_KEY) -> KeyRing:
    return parse_keyring(ring_json(primary, keys, mac_key), "test")


RING_A = ring_json("a", {"a": KEY_A})
RING_A_B = ring_json("b", {"a": KEY_A, "b": KEY_B})
RING_B = ring_json("b", {"b": KEY_B})


@pytest.fixture
def use_keyring() -> Iterator[Callable[[str], None]]:
    """``use_keyring(json)`` makes the process load that key ring, as after a restart with it."""
    active: list[override_settings] = []

    def switch(text: str) -> None:
        if active:
            active.pop().disable()
        override = override_settings(VK_KEYRING=text, VK_KEYRING_FILE="")
        override.enable()
        active.append(override)
        reset_keyring_cache()

    yield switch
    if active:
        active.pop().disable()
    reset_keyring_cache()
