import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ["calendarfeed"]


def rename_content_types(apps, schema_editor):
    """The content types (and so every permission and group grant on them) follow the models:
    the same rows, their app label changed, so no grant is lost. A row under the new label
    that the new code made before this migration ran (get_for_model at run time) holds no
    grant of anyone's, so it gives way to the old one, which keeps the history."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="clinic", model__in=MOVED)
    made_early = ContentType.objects.filter(
        app_label="portal", model__in=list(old.values_list("model", flat=True))
    )
    made_early.delete()
    old.update(app_label="portal")


class Migration(migrations.Migration):
    """Takes over calendarfeed from the app "clinic" (clinic 0010): their tables exist
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
                    name="CalendarFeed",
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
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("last_fetched_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="calendar_feeds",
                                to="registry.patient",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "clinic_calendarfeed",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_types, migrations.RunPython.noop),
    ]
