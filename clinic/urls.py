from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import (
    course_views,
    flag_views,
    patient_views,
    pregnancy_views,
    refusal_views,
    two_factor_views,
    visit_views,
)
from clinic import views as clinic_views
from clinic.forms import ClinicLoginForm

admin.site.site_header = "IsoCourse administration"
admin.site.site_title = "IsoCourse admin"
admin.site.index_title = "Registry administration"

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=ClinicLoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/two-factor/", two_factor_views.manage, name="two-factor-manage"),
    path("accounts/two-factor/set-up/", two_factor_views.setup, name="two-factor-setup"),
    path("accounts/two-factor/code/", two_factor_views.verify, name="two-factor-verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor_views.replace_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("staff/", clinic_views.staff_worklist, name="staff-worklist"),
    path("my/", clinic_views.portal_home, name="portal-home"),
    path("patients/<int:pk>/", patient_views.patient_detail, name="patient-detail"),
    path("patients/<int:patient_pk>/courses/new/", course_views.course_start, name="course-start"),
    path(
        "patients/<int:patient_pk>/pregnancy-tests/new/",
        pregnancy_views.record_pregnancy_test,
        name="pregnancy-test-new",
    ),
    path("patients/<int:patient_pk>/visits/new/", visit_views.visit_new, name="visit-new"),
    path("flags/<int:pk>/acknowledge/", flag_views.acknowledge, name="flag-acknowledge"),
    path("courses/<int:pk>/", course_views.course_detail, name="course-detail"),
    path("courses/<int:pk>/prescribe/", course_views.prescribe, name="course-prescribe"),
    path(
        "courses/<int:pk>/prescribe/check/",
        course_views.prescribe_check,
        name="course-prescribe-check",
    ),
    path("courses/<int:pk>/end/", course_views.course_end, name="course-end"),
    path("refusals/", refusal_views.refusals, name="refusals"),
    path("", include("clinic.reminder_urls")),
    path("", include("clinic.portal_urls")),
    path("", include("registry.urls")),
    path("", include("dosing.urls")),
    path("healthz", clinic_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
