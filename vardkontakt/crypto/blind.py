"""Keyed hashes for looking up encrypted values (blind indexes)."""

from vardkontakt.crypto.keyring import get_keyring


def blind_index(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under a key derived for ``purpose``; hex, 64 characters."""
    return get_keyring().mac(f"blind-index:{purpose}", value.encode("utf-8")).hex()
