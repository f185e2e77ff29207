"""Two workers, two pool processes each, drain 300 due text-message reminders through the fake
SMS provider on loopback (tests/reminders/fake_sms_provider.py): each text reaches the provider
exactly once, and each row keeps the provider's id of its one text (issue 19: "never doubled"
holds for SMS as for email). The same claim as email decides (test_two_workers_drain.py)."""

import datetime

import pytest
from django.utils import timezone

from clinic.reminders.models import Reminder
from registry.models import Patient
from tests.factories import PatientFactory
from tests.reliability.support import WAIT, all_sent, results, statuses, wait_for
from tests.reminders import fake_sms_provider
from tests.reminders.fake_sms_provider import FROM, SID, TOKEN

pytestmark = [pytest.mark.worker, pytest.mark.redis]

REMINDERS = 300  # within one year: each visit day (weekday, day, month) once
RUNS = 8
BATCH = 100
SEND = "clinic.tasks.send_due_reminders"


def make_due_texts(count: int) -> list[Reminder]:
    """`count` visit reminders due a minute ago, each for its own visit day so each text is
    told apart by its body, for one patient who chose texts."""
    patient = PatientFactory(
        phone="+447911123456",
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.SMS,
    )
    due_at = timezone.now() - datetime.timedelta(minutes=1)
    first = datetime.date(2027, 1, 1)
    return Reminder.objects.bulk_create(
        Reminder(
            kind=Reminder.Kind.FOLLOW_UP_VISIT,
            patient=patient,
            recipient=patient.email,
            subject_key=f"visit:{n}",
            due_at=due_at,
            due_date=timezone.localdate(due_at),
            context={"visit_on": (first + datetime.timedelta(days=n)).isoformat()},
        )
        for n in range(count)
    )


@pytest.fixture
def provider():
    fake = fake_sms_provider.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_two_workers_send_every_text_exactly_once(services, provider):
    reminders = make_due_texts(REMINDERS)
    sms = {
        "SMS_PROVIDER_URL": provider.url,
        "SMS_ACCOUNT_SID": SID,
        "SMS_AUTH_TOKEN": TOKEN,
        "SMS_FROM": FROM,
    }
    workers = [services.worker(name, concurrency=2, **sms) for name in ("left", "right")]
    services.send(SEND, RUNS, batch=BATCH)

    def logs():
        return "\n".join(w.log() for w in workers)

    wait_for(lambda: all_sent(reminders), "every text sent", interval=0.2, details=logs)
    wait_for(
        lambda: sum(len(w.succeeded(SEND)) for w in workers) == RUNS,
        f"all {RUNS} runs to finish",
        timeout=WAIT,
        details=logs,
    )
    bodies = [body for _to, body in provider.texts()]
    assert len(bodies) == REMINDERS, "a text was sent twice or not at all"
    assert len(set(bodies)) == REMINDERS  # each visit day once: no text doubled
    assert {to for to, _body in provider.texts()} == {"+447911123456"}
    assert statuses(reminders) == {Reminder.Status.SENT: REMINDERS}
    rows = Reminder.objects.filter(pk__in=[r.pk for r in reminders])
    ids = [row.context["provider_id"] for row in rows]
    assert len(set(ids)) == REMINDERS  # each row its own text's id
    assert set(rows.values_list("attempts", flat=True)) == {1}
    runs = {w.name: results(w, SEND) for w in workers}
    assert sum(r["sent"] for rs in runs.values() for r in rs) == REMINDERS
    assert "Traceback" not in logs(), logs()
