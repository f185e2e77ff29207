"""Each course's month-2 labs (R19) from the visits already recorded: dosing 0005 added the
copy, which clinic.monitoring.follow_ups keeps from then on. Here, not in dosing, because it
reads visits, which dosing never does."""

from django.db import migrations

# Each course's month-2 labs from the visits already recorded (clinic.monitoring.follow_ups
# keeps the copy from now on): the first visit from day 43 with both lipids and liver tests.
# Written out here, so the migration does what it did when written.
FROM_DAY = {
    "postgresql": "dosing_treatmentcourse.start_date + 42",
    "sqlite": "date(dosing_treatmentcourse.start_date, '+42 days')",
}
FILL = """UPDATE dosing_treatmentcourse SET month_two_labs_on = (
    SELECT MIN(v.visit_date) FROM clinic_visit v WHERE v.course_id = dosing_treatmentcourse.id
      AND v.triglycerides IS NOT NULL AND v.total_cholesterol IS NOT NULL
      AND v.alt IS NOT NULL AND v.ast IS NOT NULL AND v.visit_date >= {from_day})"""


def fill_month_two_labs(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(FILL.format(from_day=FROM_DAY[connection.vendor]))


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0011_lab_alert_flags"),
        ("dosing", "0005_month_two_labs"),
    ]

    operations = [
        migrations.RunPython(fill_month_two_labs, migrations.RunPython.noop, elidable=False),
    ]
