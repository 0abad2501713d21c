"""Send every notification that is due: new ones a worker never took, failed ones whose retry time has
come, and ones a crashed worker left half-done once their lease has run out. Safe to run alongside
the task workers and other copies of itself (each row is claimed before it is sent)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from vardkontakt.notifications.delivery import Outcome, deliver, due


class Command(BaseCommand):
    help = "Send the notifications that are due (new, to be retried, or left by a stopped worker)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="At most this many per round.")
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            help="Keep running, a round every this many seconds (0: one round, then stop).",
        )

    def handle(self, *args: Any, limit: int, every: int, **options: Any) -> None:
        while True:
            counts = self.round(limit)
            self.stdout.write(" ".join(f"{outcome.value}={n}" for outcome, n in counts.items()))
            if every <= 0:
                return
            time.sleep(every)

    def round(self, limit: int) -> dict[Outcome, int]:
        counts = dict.fromkeys(Outcome, 0)
        ids = list(due().order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        for notification_id in ids:
            counts[deliver(notification_id).outcome] += 1
        return counts
