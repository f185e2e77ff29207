"""URLs of the patient portal (included at the root by clinic/urls.py).

No pattern carries a patient id: every page works
on the signed-in patient; a course id must be one of the patient's own courses.
"""

from django.urls import path

from clinic.portal import appointments as portal_appointments
from clinic.portal import views as portal_views

app_name = "portal"

urlpatterns = [
    path("my/", portal_views.portal_home, name="home"),
    path("welcome/<str:token>/", portal_views.accept_invitation, name="invitation-accept"),
    path("my/schedule/", portal_views.schedule, name="schedule"),
    path(
        "my/courses/<int:pk>/schedule/",
        portal_views.course_schedule,
        name="course-schedule",
    ),
    path("my/progress/", portal_views.progress, name="progress"),
    path(
        "my/courses/<int:pk>/progress/",
        portal_views.course_progress,
        name="course-progress",
    ),
    path("my/calendar/", portal_views.calendar, name="calendar"),
    path("my/calendar.ics", portal_views.calendar_download, name="calendar-download"),
    path("calendar/<str:token>.ics", portal_views.calendar_feed, name="calendar-feed"),
    path("my/reminders/", portal_views.reminders, name="reminders"),
    path("my/confirmation/", portal_views.confirmation, name="confirmation"),
    path("my/about/", portal_views.about, name="about"),
    path("my/appointments/", portal_appointments.appointments, name="appointments"),
]
