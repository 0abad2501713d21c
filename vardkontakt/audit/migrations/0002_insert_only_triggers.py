"""Make the access log and its seals insert-only in the database itself (see audit/triggers.py)."""

from django.db import migrations

from vardkontakt.audit import triggers


def create(apps, schema_editor):
    triggers.create(schema_editor.connection)


def drop(apps, schema_editor):
    triggers.drop(schema_editor.connection)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS vk_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
