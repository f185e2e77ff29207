import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MOVED = ["historicaltotpdevice", "historicalstaticdevice"]


def rename_content_types(apps, schema_editor):
    """The content types (and so every permission and group grant on them) follow the models:
    the same rows, their app label changed, so no grant is lost. A row under the new label
    that the new code made before this migration ran (get_for_model at run time) holds no
    grant of anyone's, so it gives way to the old one, which keeps the history."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="clinic", model__in=MOVED)
    made_early = ContentType.objects.filter(
        app_label="accounts", model__in=list(old.values_list("model", flat=True))
    )
    made_early.delete()
    old.update(app_label="accounts")


class Migration(migrations.Migration):
    """Takes over historicaltotpdevice, historicalstaticdevice from the app "clinic" (clinic 0010): their tables exist
    already (kept names), so the state moves and the database is not touched."""

    initial = True

    dependencies = [
        ("clinic", "0010_move_models_to_their_apps"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HistoricalStaticDevice",
                    fields=[
                        (
                            "id",
                            models.IntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text="The human-readable name of this device.", max_length=64
                            ),
                        ),
                        (
                            "confirmed",
                            models.BooleanField(
                                default=True, help_text="Is this device ready for use?"
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                blank=True,
                                editable=False,
                                help_text="The date and time when this device was initially created in the system.",
                                null=True,
                            ),
                        ),
                        (
                            "last_used_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="The most recent date and time this device was used.",
                                null=True,
                            ),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                help_text="The user that this device belongs to.",
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical static device",
                        "verbose_name_plural": "historical static devices",
                        "db_table": "clinic_historicalstaticdevice",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalTOTPDevice",
                    fields=[
                        (
                            "id",
                            models.IntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text="The human-readable name of this device.", max_length=64
                            ),
                        ),
                        (
                            "confirmed",
                            models.BooleanField(
                                default=True, help_text="Is this device ready for use?"
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                blank=True,
                                editable=False,
                                help_text="The date and time when this device was initially created in the system.",
                                null=True,
                            ),
                        ),
                        (
                            "last_used_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="The most recent date and time this device was used.",
                                null=True,
                            ),
                        ),
                        (
                            "step",
                            models.PositiveSmallIntegerField(
                                default=30, help_text="The time step in seconds."
                            ),
                        ),
                        (
                            "t0",
                            models.BigIntegerField(
                                default=0,
                                help_text="The Unix time at which to begin counting steps.",
                            ),
                        ),
                        (
                            "digits",
                            models.PositiveSmallIntegerField(
                                choices=[(6, 6), (8, 8)],
                                default=6,
                                help_text="The number of digits to expect in a token.",
                            ),
                        ),
                        (
                            "tolerance",
                            models.PositiveSmallIntegerField(
                                default=1,
                                help_text="The number of time steps in the past or future to allow.",
                            ),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                help_text="The user that this device belongs to.",
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical TOTP device",
                        "verbose_name_plural": "historical TOTP devices",
                        "db_table": "clinic_historicaltotpdevice",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
            ],
        ),
        migrations.RunPython(rename_content_types, migrations.RunPython.noop),
    ]
