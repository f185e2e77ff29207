from django.urls import path

from clinic.pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path("pharmacy/", views.pharmacy_home, name="home"),
    path(
        "pharmacy/prescriptions/<int:prescription_pk>/dispense/",
        views.pharmacy_dispense,
        name="dispense",
    ),
    path("pharmacy/dispenses/<int:pk>/reverse/", views.pharmacy_reverse, name="reverse"),
    path("dispensing/", views.staff_dispense, name="staff-dispense"),
    path(
        "dispensing/prescriptions/<int:prescription_pk>/",
        views.staff_dispense_authorize,
        name="staff-dispense-authorize",
    ),
]
