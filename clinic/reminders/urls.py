from django.urls import path

from clinic.reminders import views
from clinic.reminders.sms import webhook

app_name = "reminders"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # The SMS provider's inbound webhook (STOP replies), signed by the provider (docs/SMS.md).
    path("sms/inbound", webhook.sms_inbound, name="sms-inbound"),
]
