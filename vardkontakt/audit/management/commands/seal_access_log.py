import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from vardkontakt.audit.log import seal_pending


class Command(BaseCommand):
    help = "Hash-chain committed access-log rows. With --follow, keep doing so every few seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--follow", action="store_true")
        parser.add_argument("--interval", type=float, default=2.0)
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, follow: bool, interval: float, batch_size: int, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        total = 0
        while True:
            close_old_connections()
            sealed = seal_pending(batch_size)
            total += sealed
            if sealed == batch_size:
                continue
            if not follow or stopping:
                break
            time.sleep(interval)
            if stopping:
                break
        self.stdout.write(f"sealed {total} access-log rows")
