"""Django's ``flush``, which erases every table, with the access log's insert-only triggers lifted
for that one statement. The test runner uses it between transactional tests."""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from vardkontakt.audit import triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with triggers.suspended(connections[options["database"]]):
            super().handle(**options)
