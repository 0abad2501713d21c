"""The search index's GIN indexes without a pending list (search_index.py, ``fastupdate = off``) on a
database whose index an earlier version installed: install() is idempotent and sets it. PostgreSQL
only; SQLite re-installs its index after every migrate anyway (search_index.install_sqlite_after_migrate)."""

from django.db import migrations

from vardkontakt.directory import search_index


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_search_index")]

    operations = [
        migrations.RunPython(search_index.install_on_postgresql, migrations.RunPython.noop, elidable=False)
    ]
