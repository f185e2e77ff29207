"""Fixtures of the reliability group: an SMTP sink and the processes a test starts."""

import pytest

from tests.reliability.support import Services
from tests.smtp_sink import SmtpSink


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def services(transactional_db, tmp_path, smtp_sink):
    """Depends on transactional_db, so the processes stop before the tables are flushed."""
    started = Services(tmp_path, smtp_sink)
    yield started
    started.stop_all()
