"""URLs of the patient portal (included at the root by clinic/urls.py).

"portal-home" (/my/) stays in clinic/urls.py. No pattern carries a patient id: every page works
on the signed-in patient; a course id must be one of the patient's own courses.
"""

from django.urls import path

from clinic import portal_views

urlpatterns = [
    path("my/schedule/", portal_views.schedule, name="portal-schedule"),
    path(
        "my/courses/<int:pk>/schedule/",
        portal_views.course_schedule,
        name="portal-course-schedule",
    ),
    path("my/progress/", portal_views.progress, name="portal-progress"),
    path(
        "my/courses/<int:pk>/progress/",
        portal_views.course_progress,
        name="portal-course-progress",
    ),
    path("my/calendar/", portal_views.calendar, name="portal-calendar"),
    path("my/calendar.ics", portal_views.calendar_download, name="portal-calendar-download"),
    path("calendar/<str:token>.ics", portal_views.calendar_feed, name="portal-calendar-feed"),
    path("my/reminders/", portal_views.reminders, name="portal-reminders"),
    path("my/confirmation/", portal_views.confirmation, name="portal-confirmation"),
    path("my/about/", portal_views.about, name="portal-about"),
]
