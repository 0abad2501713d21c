"""Background work of the cases app, run by the task backend (settings.TASKS)."""

from __future__ import annotations

from django_tasks import task

from vardkontakt.cases import bulk


@task()
def process_bulk_send(bulk_id: str) -> None:
    """Reverse flow: create the cases of a bulk send (cases.bulk.process_bulk_send). Safe to run again."""
    bulk.process_bulk_send(bulk_id)
