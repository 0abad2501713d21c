from typing import Any

from django.core.management.base import BaseCommand

from vardkontakt.crypto.keyring import generate_keyring_json


class Command(BaseCommand):
    help = "Print a new key ring (JSON) for VK_KEYRING or VK_KEYRING_FILE. Keep it secret."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kid", default="k1", help="id of the first key-encryption key")

    def handle(self, *args: Any, kid: str, **options: Any) -> None:
        self.stdout.write(generate_keyring_json(kid))
