"""The search index of "Hitta vård" (directory/search_index.py): pg_trgm, the swedish tsvector and
trigram indexes on PostgreSQL; FTS5 tables on SQLite. Both kept in step with units by triggers."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from vardkontakt.directory import search_index


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    search_index.install(schema_editor.connection)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_agreements_service_area")]

    operations = [
        TrigramExtension(),  # PostgreSQL only; nothing on SQLite
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
