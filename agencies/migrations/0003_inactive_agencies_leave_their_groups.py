"""An agency switched off gives no access (agencies/signals.py keeps that from now on): the members of
agencies already off leave their groups."""

from django.db import migrations


def leave(apps, schema_editor):
    Agency = apps.get_model("agencies", "Agency")
    for agency in Agency.objects.filter(is_active=False, group__isnull=False).select_related("group"):
        agency.group.user_set.clear()


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_verbose_names")]
    operations = [migrations.RunPython(leave, migrations.RunPython.noop)]
