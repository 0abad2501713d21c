"""The search index's GIN indexes without a pending list (search_index.py, ``fastupdate = off``) on a
database whose index an earlier version installed: install() is idempotent and sets it. PostgreSQL
only; SQLite re-installs its index after every migrate anyway (search_index.install_sqlite_after_migrate)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from vardkontakt.directory import search_index


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        search_index.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_search_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
