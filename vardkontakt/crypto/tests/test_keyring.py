"""Loading the key ring: every way it can be wrong stops the process with a message naming the problem."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from vardkontakt.crypto.keyring import get_keyring, load_keyring, parse_keyring, reset_keyring_cache
from vardkontakt.crypto.tests.conftest import KEY_A, KEY_B, MAC_KEY, b64, ring_json

GOOD = {"primary": "a", "keys": {"a": b64(KEY_A)}, "mac_key": b64(MAC_KEY)}


def parse(data: object) -> None:
    parse_keyring(json.dumps(data), "VK_KEYRING")


def test_a_good_ring_parses() -> None:
    ring = parse_keyring(ring_json("b", {"a": KEY_A, "b": KEY_B}), "VK_KEYRING")
    assert ring.primary == ("b", KEY_B)
    assert ring.kek("a") == KEY_A
    assert ring.mac_key == MAC_KEY
    with pytest.raises(KeyError, match="'c' is not in the key ring"):
        ring.kek("c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"Key ring from VK_KEYRING is not valid JSON: Expecting value \(line 1\)"),
        ('{"primary": "a",', r"Key ring from VK_KEYRING is not valid JSON"),
        ("primary=a", r"Key ring from VK_KEYRING is not valid JSON"),
        ('["a"]', r"Key ring from VK_KEYRING must be a JSON object"),
        ('"a"', r"Key ring from VK_KEYRING must be a JSON object"),
    ],
    ids=["empty", "cut short", "not json", "a list", "a string"],
)
def test_malformed_json(text: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_keyring(text, "VK_KEYRING")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (["primary"], "lacks primary"),
        (["keys"], "lacks keys"),
        (["mac_key"], "lacks mac_key"),
        (["primary", "mac_key"], "lacks primary, mac_key"),
    ],
)
def test_missing_fields_are_named(missing: list[str], message: str) -> None:
    data = {key: value for key, value in GOOD.items() if key not in missing}
    with pytest.raises(ImproperlyConfigured, match=f"Key ring from VK_KEYRING {message}"):
        parse(data)


@pytest.mark.parametrize("keys", [{}, [], "a", None], ids=repr)
def test_keys_must_be_a_non_empty_object(keys: object) -> None:
    with pytest.raises(ImproperlyConfigured, match="keys must be a non-empty object of id to key"):
        parse({**GOOD, "keys": keys})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not base64!", "key 'a' is not valid base64"),
        (b64(KEY_A)[:-2], "key 'a' is not valid base64"),  # padding cut off
        (b64(KEY_A) + "\n", "key 'a' is not valid base64"),
        (base64.urlsafe_b64encode(bytes([0xFB]) * 32).decode(), "key 'a' is not valid base64"),
        (b64(bytes(16)), "key 'a' must be 32 bytes, not 16"),
        (b64(bytes(33)), "key 'a' must be 32 bytes, not 33"),
        ("", "key 'a' must be 32 bytes, not 0"),
        (12345, "key 'a' must be a base64 string"),
        (None, "key 'a' must be a base64 string"),
    ],
    ids=[
        "not base64",
        "no padding",
        "trailing newline",
        "url-safe alphabet",
        "16 bytes",
        "33 bytes",
        "empty",
        "a number",
        "null",
    ],
)
def test_bad_key_encoding_or_length(raw: object, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"Key ring: {message}"):
        parse({**GOOD, "keys": {"a": raw}})


@pytest.mark.parametrize(
    ("raw", "message"),
    [("***", "mac_key is not valid base64"), (b64(bytes(31)), "mac_key must be 32 bytes, not 31")],
)
def test_bad_mac_key(raw: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"Key ring: {message}"):
        parse({**GOOD, "mac_key": raw})


@pytest.mark.parametrize("primary", ["b", "", "A"], ids=repr)
def test_primary_not_among_the_keys(primary: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"primary key '{primary}' is not among the keys"):
        parse({**GOOD, "primary": primary})


@pytest.mark.parametrize("primary", [["a"], {"a": 1}, 1, None], ids=repr)
def test_primary_that_is_not_a_string(primary: object) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"primary key .* is not among the keys"):
        parse({**GOOD, "primary": primary})


@pytest.mark.parametrize("kid", ["", "k" * 33, "nyckel-å", "tab\there"], ids=repr)
def test_bad_key_ids(kid: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="must be 1-32 ASCII characters"):
        parse({"primary": kid, "keys": {kid: b64(KEY_A)}, "mac_key": b64(MAC_KEY)})


def test_the_error_names_the_file_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text('{"primary": "a"}')
    with (
        override_settings(VK_KEYRING="", VK_KEYRING_FILE=str(path)),
        pytest.raises(ImproperlyConfigured, match=f"Key ring from {path} lacks keys, mac_key"),
    ):
        load_keyring()


def test_a_ring_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(ring_json("a", {"a": KEY_A}))
    with override_settings(VK_KEYRING="", VK_KEYRING_FILE=str(path)):
        assert load_keyring().primary == ("a", KEY_A)


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with (
        override_settings(VK_KEYRING="", VK_KEYRING_FILE=str(path)),
        pytest.raises(ImproperlyConfigured, match=f"Key ring file {path} cannot be read: No such file"),
    ):
        load_keyring()


def test_no_ring_in_production_is_refused(tmp_path: Path) -> None:
    with (
        override_settings(VK_KEYRING="", VK_KEYRING_FILE="", DEBUG=False, VAR_DIR=tmp_path),
        pytest.raises(ImproperlyConfigured, match=r"No key ring: set VK_KEYRING \(JSON\) or VK_KEYRING_FILE"),
    ):
        load_keyring()
    assert list(tmp_path.iterdir()) == []  # and no development ring was made


def test_debug_makes_a_private_development_ring_once(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    with override_settings(VK_KEYRING="", VK_KEYRING_FILE="", DEBUG=True, VAR_DIR=var_dir):
        first = load_keyring()
        path = var_dir / "keyring.dev.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        second = load_keyring()
    assert (second.primary, second.mac_key) == (first.primary, first.mac_key)


def test_get_keyring_is_cached_until_reset() -> None:
    try:
        with override_settings(VK_KEYRING=ring_json("a", {"a": KEY_A})):
            reset_keyring_cache()
            ring = get_keyring()
            assert ring is get_keyring()
            assert ring.primary_id == "a"
        assert get_keyring() is ring  # still cached after the settings change ...
        reset_keyring_cache()
        assert get_keyring().primary_id == "test1"  # ... until the cache is reset
    finally:
        reset_keyring_cache()


def test_purposes_get_different_keys_and_macs() -> None:
    ring = parse_keyring(ring_json("a", {"a": KEY_A}), "test")
    assert ring.subkey("blind-index:personnummer") != ring.subkey("access-log-chain")
    assert ring.subkey("blind-index:personnummer") != ring.mac_key
    assert ring.mac("p", b"data") == ring.mac("p", b"data")
    assert ring.mac("p", b"data") != ring.mac("q", b"data")
    other_mac_key = parse_keyring(ring_json("a", {"a": KEY_A}, mac_key=KEY_B), "test")
    assert other_mac_key.mac("p", b"data") != ring.mac("p", b"data")
