from django.db import migrations


def install(apps, schema_editor):
    from vardkontakt.cases.basic_types import install as install_types

    install_types(apps.get_model("cases", "CaseType"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_attachments_bulk_sends")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
