"""A fresh install escalates from day one: DESIGN's default policy, unless one exists already."""

from django.db import migrations


def create_default_policy(apps, schema_editor):
    EscalationPolicy = apps.get_model("incidents", "EscalationPolicy")
    EscalationStep = apps.get_model("incidents", "EscalationStep")
    if EscalationPolicy.objects.filter(is_default=True).exists():
        return
    policy = EscalationPolicy.objects.create(
        name="默认升级策略 Default escalation", is_default=True, interval_seconds=120, max_level=4
    )
    EscalationStep.objects.create(policy=policy, level=1, notify="agency_chiefs")
    EscalationStep.objects.create(policy=policy, level=2, notify="commander_and_dispatchers")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_cap_message")]
    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
