from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0003_void_and_replace_supply"),
        ("registry", "0007_patient_search_trigram"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalprescription",
            name="awaiting_pickup",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
        migrations.AddField(
            model_name="prescription",
            name="awaiting_pickup",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
        # Every prescription written so far: awaiting pick-up unless voided or dispensed (a
        # dispense not reversed). Before the constraint, which the default would break.
        migrations.RunSQL(
            "UPDATE dosing_prescription SET awaiting_pickup = (voided_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM dosing_dispense d WHERE d.prescription_id = dosing_prescription.id "
            "AND d.reversed_at IS NULL))",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="prescription",
            index=models.Index(
                condition=models.Q(("awaiting_pickup", True)),
                fields=["window_closes", "id"],
                name="rx_awaiting_window_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="prescription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("awaiting_pickup", True), ("voided_at__isnull", False), _negated=True
                ),
                name="rx_voided_is_not_awaiting_pickup",
            ),
        ),
    ]
