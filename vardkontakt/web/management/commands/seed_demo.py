from typing import Any

from django.core.management.base import BaseCommand

from vardkontakt.web.demo import seed


class Command(BaseCommand):
    help = "Create or refresh the demo Region Stockholm: units, staff in every role, residents."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = seed()
        self.stdout.write(
            f"Demo region ready: {counts['units']} units, {counts['staff']} staff, {counts['residents']} residents."
        )
