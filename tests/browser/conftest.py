"""Fixtures shared by the browser tests."""

import pytest
from playwright.sync_api import Page


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Every console error and uncaught exception the page reports while the test runs
    (a CSP violation or a missing static file shows up here)."""
    errors: list[str] = []
    page.set_default_timeout(10000)
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text} ({msg.location})") if msg.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return errors
