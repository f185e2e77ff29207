from django.urls import path

from registry.views import admin_home, invitations, patients, pharmacies

urlpatterns = [
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new/", patients.patient_enrol, name="patient-enrol"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="patient-edit"),
    path("patients/<int:pk>/status/", patients.patient_status, name="patient-status"),
    path("patients/<int:pk>/invite/", invitations.send_invitation, name="patient-invite"),
    path("welcome/<str:token>/", invitations.accept_invitation, name="portal-invitation-accept"),
    path("pharmacies/", pharmacies.pharmacy_list, name="pharmacy-list"),
    path("registry-admin/", admin_home.registry_admin_home, name="registry-admin-home"),
]
