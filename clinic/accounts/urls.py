"""Sign-in pages. Django's own views (log-in, log-out, password change and reset) keep their
un-namespaced names, which Django reverses itself; ours are under "accounts:"."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic.accounts import passkeys, views
from clinic.accounts.forms import ClinicLoginForm

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/two-factor/", views.manage, name="two-factor-manage"),
    path("accounts/two-factor/set-up/", views.setup, name="two-factor-setup"),
    path("accounts/two-factor/code/", views.verify, name="two-factor-verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        views.replace_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path(
        "accounts/two-factor/passkeys/<int:pk>/remove/",
        views.remove_passkey,
        name="two-factor-passkey-remove",
    ),
]

# Included without a namespace: Django's views reverse "login", "password_reset_done", ...
sign_in_urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=ClinicLoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/passkeys/", include(passkeys)),
]
