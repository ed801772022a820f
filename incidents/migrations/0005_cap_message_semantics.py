"""CAP messages record what each did: sent as a time, status, references, outcome and detail; a
message that touched no incident (expired, a test, another sender's cancel) keeps no incident."""

from datetime import datetime

import django.db.models.deletion
from django.db import migrations, models


def sent_text_to_time(apps, schema_editor):
    CapMessage = apps.get_model("incidents", "CapMessage")
    for message in CapMessage.objects.exclude(sent_text=""):
        try:
            sent = datetime.fromisoformat(message.sent_text.strip())
        except ValueError:
            continue
        if sent.tzinfo is not None:
            CapMessage.objects.filter(pk=message.pk).update(sent=sent)


def sent_time_to_text(apps, schema_editor):
    CapMessage = apps.get_model("incidents", "CapMessage")
    for message in CapMessage.objects.exclude(sent=None):
        CapMessage.objects.filter(pk=message.pk).update(sent_text=message.sent.isoformat())


OUTCOMES = [
    ("opened", "Opened an incident"),
    ("opened_from_update", "Opened an incident from an update whose original never arrived"),
    ("updated", "Updated the incident"),
    ("cancelled", "Cancelled the incident"),
    ("expired", "Nothing: the alert had expired"),
    ("not_actual", "Nothing: a test, draft or system message"),
    ("status_mismatch", "Nothing: an exercise and a real incident never touch"),
    ("other_sender", "Nothing: the incident came from another sender"),
    ("stale", "Nothing: older than the last message applied"),
    ("unknown_original", "Nothing: cancels an alert never received"),
    ("not_open", "Nothing: the incident is already closed or cancelled"),
    ("not_acted", "Nothing: an acknowledgement, an error or our own message"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_idempotency_key"),
    ]

    operations = [
        migrations.RenameField(model_name="capmessage", old_name="sent", new_name="sent_text"),
        migrations.AddField(model_name="capmessage", name="sent", field=models.DateTimeField(null=True)),
        migrations.RunPython(sent_text_to_time, sent_time_to_text),
        migrations.RemoveField(model_name="capmessage", name="sent_text"),
        migrations.AddField(
            model_name="capmessage", name="status", field=models.CharField(default="Actual", max_length=10)
        ),
        migrations.AddField(model_name="capmessage", name="references", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="capmessage",
            name="outcome",
            field=models.CharField(choices=OUTCOMES, default="opened", max_length=30),
        ),
        migrations.AddField(model_name="capmessage", name="detail", field=models.CharField(blank=True, max_length=500)),
        migrations.AlterField(
            model_name="capmessage",
            name="incident",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="cap_messages",
                to="incidents.incident",
            ),
        ),
        migrations.AddIndex(
            model_name="capmessage",
            index=models.Index(fields=["incident", "outcome", "sent"], name="cap_message_applied_idx"),
        ),
        migrations.AddConstraint(
            model_name="capmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("outcome__in", [value for value, _ in OUTCOMES])),
                name="cap_message_outcome_valid",
            ),
        ),
    ]
