"""The registry administration start page (the work itself happens in the admin site)."""

from django.shortcuts import render

from clinic.accounts.roles import Role, role_required


@role_required(Role.REGISTRY_ADMIN)
def registry_admin_home(request):
    return render(request, "staff/registry_admin_home.html")
