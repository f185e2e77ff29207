"""Fill each course's copy of its latest visit (clinic.monitoring.follow_ups) from the visits.

The SQL is written out here, not imported from clinic.monitoring.follow_ups: a migration must keep doing
what it did when it was written, whatever the application code becomes.
"""

from django.db import migrations

LATEST = """(SELECT v.{column} FROM clinic_visit v WHERE v.course_id = dosing_treatmentcourse.id
             ORDER BY v.visit_date DESC, v.id DESC LIMIT 1)"""


def fill(apps, schema_editor):
    schema_editor.execute(
        "UPDATE dosing_treatmentcourse SET last_visit_on = "  # noqa: S608 - constant text
        + LATEST.format(column="visit_date")
        + ", next_follow_up = "
        + LATEST.format(column="next_follow_up")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_calendar_feed"),
        ("dosing", "0002_course_follow_up"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
