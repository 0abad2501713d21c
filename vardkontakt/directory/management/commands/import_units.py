from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vardkontakt.directory.actions import import_units
from vardkontakt.directory.adapters import FORMATS, FeedError, read_feed


class Command(BaseCommand):
    help = (
        "Import units from an HSA / EK-katalogen feed file (CSV or JSON; docs/catalogue-feed.md). "
        "Rows that fail their checks are reported and skipped; a file that cannot be read imports nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            dest="feed_format",
            choices=FORMATS,
            help="csv or json; by default the file's extension",
        )

    def handle(self, *args: Any, file: Path, feed_format: str | None, **options: Any) -> None:
        feed_format = feed_format or file.suffix.lower().removeprefix(".")
        if feed_format not in FORMATS:
            raise CommandError(
                f"{file}: cannot tell the format from the file name; give --format csv or json"
            )
        try:
            rows = read_feed(file, feed_format)
        except FeedError as error:
            raise CommandError(f"{file}: {error}; nothing was imported") from error
        report = import_units(rows)
        for rejection in report.rejected:
            unit = f" ({rejection.hsa_id})" if rejection.hsa_id else ""
            self.stderr.write(f"row {rejection.row}{unit} rejected: {rejection.reason}")
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
            f"rejected {len(report.rejected)}"
        )
