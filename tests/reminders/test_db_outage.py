"""outlasting_outages: a database step is retried while the database is away, within limits."""

import pytest
from django.db import OperationalError, transaction

from clinic.reminders.db_outage import outlasting_outages


def flaky(failures: int):
    calls = []

    def step(value):
        calls.append(value)
        if len(calls) <= failures:
            raise OperationalError("server closed the connection unexpectedly")
        return value * 2

    return step, calls


@pytest.mark.django_db(transaction=True)
def test_a_step_is_run_again_until_the_database_answers(settings):
    settings.DB_OUTAGE_PATIENCE_SECONDS = 10
    step, calls = flaky(failures=2)
    assert outlasting_outages(step, 21, what="testing") == 42
    assert calls == [21, 21, 21]


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_its_patience(settings):
    settings.DB_OUTAGE_PATIENCE_SECONDS = 0
    step, calls = flaky(failures=5)
    with pytest.raises(OperationalError):
        outlasting_outages(step, 1, what="testing")
    assert calls == [1]


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_does_not_retry_a_lost_statement(settings):
    settings.DB_OUTAGE_PATIENCE_SECONDS = 10
    step, calls = flaky(failures=1)
    with pytest.raises(OperationalError), transaction.atomic():
        outlasting_outages(step, 1, what="testing")
    assert calls == [1]


def test_other_errors_are_not_retried(settings):
    settings.DB_OUTAGE_PATIENCE_SECONDS = 10
    calls = []

    def step():
        calls.append(1)
        raise ValueError("not a database outage")

    with pytest.raises(ValueError, match="not a database outage"):
        outlasting_outages(step, what="testing")
    assert calls == [1]


@pytest.mark.django_db(transaction=True)
def test_a_claim_cut_short_by_the_database_leaves_no_row_in_flight(settings, monkeypatch):
    """The database goes away after two rows of a claim: nothing stays claimed for no sender
    (in autocommit those two stayed in flight until the sweeper), and the retry claims all."""
    from django.db.models.query import QuerySet
    from django.utils import timezone

    from clinic.reminders.models import Reminder
    from clinic.reminders.sending import claim_due
    from tests.reliability.support import make_due_reminders

    settings.DB_OUTAGE_PATIENCE_SECONDS = 10
    make_due_reminders(5, "claim")
    real_update, calls = QuerySet.update, []

    def update_then_lose_the_database(self, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OperationalError("database is locked")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update_then_lose_the_database)
    now = timezone.now()
    claimed = outlasting_outages(claim_due, now, 5, what="claiming reminders")
    in_flight = set(Reminder.objects.filter(status="in_flight").values_list("pk", flat=True))
    assert in_flight == set(claimed)
    assert len(claimed) == 5
