from django.urls import path

from clinic.reminders import views

app_name = "reminders"

urlpatterns = [path("healthz", views.healthz, name="healthz")]
