"""The search index's words per unit (search_index.py: ``terms``, GIN-indexed, found through the
vocabulary's trigram index; ``lower_name`` for the rank) in place of the trigram-indexed text of name
and city, on a database whose index an earlier version installed: install() is idempotent, drops
that column and adds and fills the new ones. PostgreSQL only; SQLite's index is unchanged."""

from django.db import migrations

from vardkontakt.directory import search_index


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_search_index_with_the_unit")]

    operations = [
        migrations.RunPython(search_index.install_on_postgresql, migrations.RunPython.noop, elidable=False)
    ]
