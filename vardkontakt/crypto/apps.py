from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "vardkontakt.crypto"
    label = "crypto"

    def ready(self) -> None:
        # Load the key ring at start-up so that a missing or malformed one stops the process at once
        # with a message naming the problem, instead of failing on the first encrypted read.
        from vardkontakt.crypto.keyring import get_keyring

        get_keyring()
