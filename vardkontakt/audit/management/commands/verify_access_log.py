from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vardkontakt.audit.log import unsealed_stragglers, verify_chain


class Command(BaseCommand):
    help = "Verify the access log's hash chain; name the first broken row."

    def handle(self, *args: Any, **options: Any) -> None:
        problem = verify_chain()
        if problem is not None:
            raise CommandError(f"The access log has been tampered with: {problem}")
        stragglers = unsealed_stragglers()
        if stragglers:
            raise CommandError(f"{stragglers} access-log rows older than an hour are not sealed.")
        self.stdout.write("The access log's chain is whole.")
