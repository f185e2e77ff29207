from django.urls import path

from dosing import views

urlpatterns = [
    path("pharmacy/", views.pharmacy_home, name="pharmacy-home"),
    path(
        "pharmacy/prescriptions/<int:prescription_pk>/dispense/",
        views.pharmacy_dispense,
        name="pharmacy-dispense",
    ),
    path("pharmacy/dispenses/<int:pk>/reverse/", views.pharmacy_reverse, name="pharmacy-reverse"),
    path("dispensing/", views.staff_dispense, name="staff-dispense"),
    path(
        "dispensing/prescriptions/<int:prescription_pk>/",
        views.staff_dispense_authorize,
        name="staff-dispense-authorize",
    ),
]
