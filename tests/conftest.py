"""Shared fixtures: personas, service detection, and Playwright on the system Chromium.

Groups of tests that need a service carry a marker (redis, browser). Without the service the
group is skipped with the reason printed; with CI=true or REQUIRE_SERVICES=1 a missing service
fails the run instead, so CI never passes by skipping.
"""

import os
import shutil
from pathlib import Path

import pytest

from clinic.accounts.roles import Role
from tests.course_fixtures import (  # noqa: F401  (fixtures shared by dosing and clinic tests)
    female_patient,
    make_pharmacy,
    male_patient,
    prescribe,
    record_test,
    start_course,
)
from tests.factories import PASSWORD, PatientFactory, UserFactory
from tests.reminders.fake_sms_provider import provider  # noqa: F401  (the fake SMS provider)
from tests.second_factor import install as install_second_factor_login

# force_login passes the second factor too (tests/second_factor.py says why).
install_second_factor_login()

# Sync Playwright runs an event loop in the test thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def services_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"Redis at {TEST_REDIS_URL} does not answer ({exc.__class__.__name__})"
    return None


def _chromium_problem() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


_CONFIG = None  # the pytest config, for the report hook (set in pytest_configure)

VNU_JAR = os.environ.get(
    "VNU_JAR",
    str(Path(__file__).resolve().parents[1] / ".tools/node_modules/vnu-jar/build/dist/vnu.jar"),
)


def _html_checker_problem() -> str | None:
    if shutil.which("java") is None:
        return "no java on PATH (apt-get install default-jre-headless)"
    if not Path(VNU_JAR).exists():
        return f"no Nu HTML Checker at {VNU_JAR} (make test installs it with npm)"
    return None


def pytest_collection_modifyitems(config, items):
    checks = {
        "redis": _redis_problem,
        "browser": _chromium_problem,
        "html_checker": _html_checker_problem,
    }
    problems: dict[str, str | None] = {}
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        for marker, check in checks.items():
            if marker not in item.keywords:
                continue
            if marker not in problems:
                problems[marker] = check()
            if problems[marker]:
                item.add_marker(pytest.mark.skip(reason=problems[marker]))
    missing = {m: p for m, p in problems.items() if p}
    if missing and services_required():
        raise pytest.UsageError(
            "Services required (CI=true or REQUIRE_SERVICES=1) but missing: "
            + "; ".join(f"{m}: {p}" for m, p in missing.items())
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# Personas -----------------------------------------------------------------------------------


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def prescriber(db):
    return UserFactory(username="dr.okafor", roles=[Role.PRESCRIBER])


@pytest.fixture
def nurse(db):
    return UserFactory(username="nurse.lind", roles=[Role.CLINICAL_STAFF])


@pytest.fixture
def registry_admin(db):
    return UserFactory(username="reg.admin", roles=[Role.REGISTRY_ADMIN], is_staff=True)


@pytest.fixture
def pharmacist(db):
    return UserFactory(username="pharm.nair", roles=[Role.PHARMACIST])


@pytest.fixture
def patient(db, prescriber):
    """A patient's portal account, linked to their registry record (user.patient)."""
    user = UserFactory(username="alex.patient", roles=[Role.PATIENT])
    PatientFactory(user=user, prescriber=prescriber, first_name="Alex", last_name="Rivera")
    return user


@pytest.fixture
def other_patient(db, prescriber):
    user = UserFactory(username="jordan.patient", roles=[Role.PATIENT])
    PatientFactory(user=user, prescriber=prescriber, first_name="Jordan", last_name="Baker")
    return user


@pytest.fixture
def personas(prescriber, nurse, registry_admin, pharmacist, patient, other_patient):
    return {
        "prescriber": prescriber,
        "nurse": nurse,
        "registry_admin": registry_admin,
        "pharmacist": pharmacist,
        "patient": patient,
        "other_patient": other_patient,
    }


# The trust checks' figures (tests/security/figures.py), printed after every run. A check's own
# figure travels on its report (user_properties), so it reaches the run's summary from an xdist
# worker as from a single process.
FIGURE_PROPERTY = "trust_figure"


def pytest_runtest_logreport(report):
    from tests.security import figures

    figures.count_case(_CONFIG, report)
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == FIGURE_PROPERTY:
                figures.record(_CONFIG, *value)


def pytest_configure(config):
    global _CONFIG
    _CONFIG = config


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.security import figures

    lines = figures.summary_lines(config)
    if lines:
        terminalreporter.section("trust checks")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def figures(request):
    """figures(label, passed, total): a check's own N of N, for the run's summary."""
    return lambda label, passed, total: request.node.user_properties.append(
        (FIGURE_PROPERTY, (label, passed, total))
    )
