from django.db import migrations


class Migration(migrations.Migration):
    """The reminder outbox and heartbeat, the calendar feed and the second-factor history moved
    to their own apps (reminders, portal, accounts). Their tables keep their names, so this
    changes only Django's idea of which app owns them; not one row or column is touched."""

    dependencies = [
        ("clinic", "0009_visit_plausible_bounds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="calendarfeed",
                    name="patient",
                ),
                migrations.DeleteModel(
                    name="Heartbeat",
                ),
                migrations.RemoveField(
                    model_name="historicalstaticdevice",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalstaticdevice",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="historicaltotpdevice",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicaltotpdevice",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="reminder",
                    name="patient",
                ),
                migrations.DeleteModel(
                    name="CalendarFeed",
                ),
                migrations.DeleteModel(
                    name="HistoricalStaticDevice",
                ),
                migrations.DeleteModel(
                    name="HistoricalTOTPDevice",
                ),
                migrations.DeleteModel(
                    name="Reminder",
                ),
            ],
        ),
    ]
