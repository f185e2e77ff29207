import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ["reminder", "heartbeat"]


def rename_content_types(apps, schema_editor):
    """The content types (and so every permission and group grant on them) follow the models:
    the same rows, their app label changed, so no grant is lost. A row under the new label
    that the new code made before this migration ran (get_for_model at run time) holds no
    grant of anyone's, so it gives way to the old one, which keeps the history."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="clinic", model__in=MOVED)
    made_early = ContentType.objects.filter(
        app_label="reminders", model__in=list(old.values_list("model", flat=True))
    )
    made_early.delete()
    old.update(app_label="reminders")


class Migration(migrations.Migration):
    """Takes over reminder, heartbeat from the app "clinic" (clinic 0010): their tables exist
    already (kept names), so the state moves and the database is not touched."""

    initial = True

    dependencies = [
        ("clinic", "0010_move_models_to_their_apps"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0007_patient_search_trigram"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Heartbeat",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=50, unique=True)),
                        ("last_run_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "clinic_heartbeat",
                    },
                ),
                migrations.CreateModel(
                    name="Reminder",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("follow_up_visit", "Follow-up visit"),
                                    ("pregnancy_test_due", "Pregnancy test due"),
                                    ("pick_up_closing", "Pick-up window closing"),
                                    ("monthly_confirmation", "Monthly confirmation due"),
                                    ("certification_expiring", "Pharmacy certification expiring"),
                                ],
                                max_length=24,
                            ),
                        ),
                        ("recipient", models.EmailField(max_length=254)),
                        ("subject_key", models.CharField(max_length=40)),
                        ("due_at", models.DateTimeField()),
                        (
                            "due_date",
                            models.DateField(
                                help_text="The due day in the clinic's zone (uniqueness key)."
                            ),
                        ),
                        ("context", models.JSONField(blank=True, default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("scheduled", "Scheduled"),
                                    ("in_flight", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                    ("skipped", "Skipped"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="scheduled",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "patient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="reminders",
                                to="registry.patient",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "clinic_reminder",
                        "ordering": ["due_at", "pk"],
                        "indexes": [
                            models.Index(
                                fields=["status", "due_at"], name="reminder_status_due_idx"
                            ),
                            models.Index(
                                fields=["status", "claimed_at"], name="reminder_status_claimed_idx"
                            ),
                            models.Index(
                                fields=["patient", "due_at"], name="reminder_patient_due_idx"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "cancelled"), _negated=True),
                                fields=("recipient", "kind", "subject_key", "due_date"),
                                name="one_reminder_per_recipient_kind_subject_day",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_types, migrations.RunPython.noop),
    ]
