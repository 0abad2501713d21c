"""Re-wrap every data key under the primary key-encryption key, without downtime.

To rotate: add a new key to the key ring and make it primary, restart the processes (they now read
with both keys and write with the new one), run this command, then remove the old key. Each batch
is one short transaction; readers are never blocked and the data ciphertext is not touched.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vardkontakt.crypto.envelope import DecryptionError, key_id, rewrap
from vardkontakt.crypto.fields import encrypted_attributes
from vardkontakt.crypto.keyring import get_keyring


class Command(BaseCommand):
    help = "Re-wrap all encrypted data under the key ring's primary key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--check", action="store_true", help="only count what is not under the primary key"
        )

    def handle(self, *args: Any, batch_size: int, check: bool, **options: Any) -> None:
        ring = get_keyring()
        total_left = 0
        for model, attr in encrypted_attributes():
            column = attr.column
            label = f"{model._meta.label}.{attr.name}"
            rewrapped = left = 0
            last_pk = None
            while True:
                with transaction.atomic():
                    qs = model._default_manager.order_by("pk").exclude(**{f"{column}__isnull": True})
                    if last_pk is not None:
                        qs = qs.filter(pk__gt=last_pk)
                    if not check:  # a count needs no locks
                        qs = qs.select_for_update()
                    rows = list(qs.only("pk", column)[:batch_size])
                    if not rows:
                        break
                    for row in rows:
                        blob = getattr(row, column)
                        if not blob or key_id(blob) == ring.primary_id:
                            continue
                        if check:
                            left += 1
                            continue
                        try:
                            new_blob = rewrap(blob, attr.aad(row), ring)
                        except DecryptionError as exc:
                            raise CommandError(f"{label} of {row.pk}: {exc}") from None
                        model._default_manager.filter(pk=row.pk).update(**{column: new_blob})
                        rewrapped += 1
                    last_pk = rows[-1].pk
            total_left += left
            if check:
                self.stdout.write(f"{label}: {left} not under {ring.primary_id}")
            else:
                self.stdout.write(f"{label}: re-wrapped {rewrapped} under {ring.primary_id}")
        if check and total_left:
            self.stderr.write(f"{total_left} values still use an older key.")
            raise SystemExit(1)
