"""Fill each course's copy of its latest visit (clinic.follow_ups) from the visits."""

from django.db import migrations


def fill(apps, schema_editor):
    from clinic.follow_ups import REFRESH

    schema_editor.execute(REFRESH)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_calendar_feed"),
        ("dosing", "0002_course_follow_up"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
