"""The Django admin is where registry admins work: accounts, roles, lockouts, the registry."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from simple_history.admin import SimpleHistoryAdmin

from registry.models import Patient

# One sign-in page for everyone: the admin's own login would bypass the clinic's login page.
admin.site.login = login_required(admin.site.login)


class ClinicUserAdmin(UserAdmin):
    """A registry admin manages accounts but cannot make anyone (or themselves) a superuser."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions", "last_login", "date_joined"]
        return fields


admin.site.unregister(User)
admin.site.register(User, ClinicUserAdmin)


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["registry_id", "last_name", "first_name", "status", "risk_category"]
    list_filter = ["status", "risk_category"]
    search_fields = ["registry_id", "last_name", "first_name"]
    list_select_related = ["prescriber"]
    raw_id_fields = ["user", "prescriber"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False  # registry records are never deleted; withdrawal keeps them
