"""The search index's copy of each unit (search_index.py: its public fields, active e-services and
agreements, kept in step by triggers on the unit, agreement and e-service tables) on a database whose
index an earlier version installed: install() is idempotent, adds the columns and fills them.
PostgreSQL only; SQLite's index is unchanged."""

from django.db import migrations

from vardkontakt.directory import search_index


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_search_index_without_pending_list")]

    operations = [
        migrations.RunPython(search_index.install_on_postgresql, migrations.RunPython.noop, elidable=False)
    ]
