"""/healthz: 200 when the database and broker answer, 503 otherwise, and no patient data."""

import datetime

from django.urls import reverse

from clinic.celery import app as celery_app
from clinic.reminders.models import Heartbeat
from clinic.reminders.tasks import HEARTBEAT, heartbeat


def test_it_answers_200_when_database_and_broker_answer(client, db):
    response = client.get(reverse("reminders:healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "heartbeat_last_run_at": None,
    }


def test_it_answers_503_when_the_broker_does_not(client, db, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("reminders:healthz"))
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["status"] == "unavailable"


def test_the_heartbeat_task_records_its_time_and_healthz_shows_it(client, db):
    heartbeat()
    recorded = Heartbeat.objects.get(name=HEARTBEAT).last_run_at
    assert abs(recorded - datetime.datetime.now(tz=datetime.UTC)) < datetime.timedelta(seconds=5)
    body = client.get(reverse("reminders:healthz")).json()
    assert datetime.datetime.fromisoformat(body["heartbeat_last_run_at"]) == recorded


def test_running_heartbeat_twice_keeps_one_row(db):
    heartbeat()
    heartbeat()
    assert Heartbeat.objects.count() == 1


def test_heartbeat_is_in_the_beat_schedule():
    entry = celery_app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == "clinic.tasks.heartbeat"
    assert entry["schedule"] == 60.0


def test_a_browser_gets_a_readable_page_without_patient_data(client, patient):
    response = client.get(reverse("reminders:healthz"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Service health" in html
    assert "Rivera" not in html
