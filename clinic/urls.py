"""The project's URLs: each room's own list, nothing else (docs/ARCHITECTURE.md), and the
error handler that answers 503 while the database is away."""

from django.contrib import admin
from django.urls import include, path

from clinic.accounts.urls import sign_in_urlpatterns
from clinic.portal.language import choose_language, password_reset

admin.site.site_header = "IsoCourse administration"
admin.site.site_title = "IsoCourse admin"
admin.site.index_title = "Registry administration"

urlpatterns = [
    # Before Django's own (sign_in_urlpatterns): the reset email in a patient's own language.
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("", include("clinic.accounts.urls")),
    path("", include(sign_in_urlpatterns)),
    path("", include("clinic.staff.urls")),
    path("", include("clinic.pharmacy.urls")),
    path("", include("clinic.portal.urls")),
    path("", include("clinic.reminders.urls")),
    path("admin/", admin.site.urls),
    # The footer's language switch, for every visitor (a patient's choice is also saved).
    path("language/", choose_language, name="set-language"),
]

handler500 = "clinic.reminders.views.server_error"
