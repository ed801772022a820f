# Assignment.escalation_plan is a snapshot of the escalation policy taken at dispatch ("plan" means
# LinkagePlan): renamed, its data kept.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_cap_references_and_already_cancelled"),
    ]

    operations = [
        migrations.RenameField(
            model_name="assignment",
            old_name="escalation_plan",
            new_name="escalation_snapshot",
        ),
        migrations.AlterField(
            model_name="assignment",
            name="escalation_snapshot",
            field=models.JSONField(
                blank=True, default=dict, verbose_name="escalation snapshot (the policy as dispatched)"
            ),
        ),
    ]
