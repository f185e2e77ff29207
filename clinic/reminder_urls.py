"""Reminder pages for staff; included from clinic/urls.py."""

from django.urls import path

from clinic import reminder_views

urlpatterns = [
    path(
        "patients/<int:pk>/reminders/",
        reminder_views.patient_reminders,
        name="patient-reminders",
    ),
    path("reminders/failed/", reminder_views.failed_reminders, name="reminders-failed"),
    path("reminders/<int:pk>/retry/", reminder_views.retry_reminder, name="reminder-retry"),
]
