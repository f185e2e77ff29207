"""The figures the trust checks print at the end of every run (issue 8: "N of N").

Two kinds: parametrized checks are counted by their cases (CASE_CHECKS, one line per test
function); a check that walks many pages inside one test reports its own count through the
`figures` fixture. tests/conftest.py prints them all in the terminal summary.
"""

from __future__ import annotations

import pytest

FIGURES = pytest.StashKey[dict]()

OTHERS_RECORD = "Object URLs: another patient's or pharmacy's record answers 404"
REDIRECTS = "Redirects: every view that follows `next` stays on this site for an address elsewhere"
# test function -> what its cases check, in the order they are printed.
CASE_CHECKS = {
    "test_each_role_gets_the_answer_the_table_gives": "Permission matrix, GET (URL x role)",
    "test_a_post_gets_the_answer_the_get_row_implies": "Permission matrix, POST (URL x role)",
    "test_a_post_without_a_csrf_token_is_refused_and_changes_nothing": "CSRF: POST refused "
    "without a token",
    "test_a_get_changes_no_record": "No GET changes a record",
    "test_every_page_sends_the_security_headers": "Security headers on every page",
    "test_an_object_that_does_not_exist_answers_404": "Object URLs: a missing object answers "
    "404 (URL x role x method)",
    "test_another_patients_object_answers_404": OTHERS_RECORD,
    "test_another_pharmacys_record_answers_404_and_stays_as_it_was": OTHERS_RECORD,
    "test_each_page_of_a_patient_logs_one_access_for_that_patient": "Access log: every page "
    "naming a patient, course or flag logs one access",
    "test_role_signs_in_to_own_start_page_and_nav": "Sign-in through the real forms in Chromium, "
    "each role (every staff role with its second factor)",
    "test_a_staff_member_adds_a_passkey_and_signs_in_with_it_instead_of_a_code": "Passkeys in "
    "Chromium: each staff role adds one and signs in with it",
    "test_the_flag_acknowledgement_goes_back_to_the_course_not_elsewhere": REDIRECTS,
    "test_the_second_factor_code_page_goes_home_not_elsewhere": REDIRECTS,
    "test_the_sign_in_page_goes_to_the_start_page_not_elsewhere": REDIRECTS,
    "test_the_passkey_sign_in_goes_home_not_elsewhere": REDIRECTS,
    "test_a_role_that_must_is_sent_to_set_up_before_any_page_opens": "Two-factor: every staff "
    "role is held at the second factor before any page",
}
KEYBOARD_MODULE = "tests/browser/test_keyboard_only.py"


def table(config) -> dict:
    return config.stash.setdefault(FIGURES, {})


def count_case(config, report) -> None:
    if report.when != "call" and not (report.when == "setup" and report.failed):
        return
    name = report.nodeid.split("::")[-1].split("[")[0]
    module = report.nodeid.split("::")[0]
    label = CASE_CHECKS.get(name) or ("Keyboard only, forms" if module == KEYBOARD_MODULE else None)
    if label is None:
        return
    passed, total = table(config).get(label, (0, 0))
    table(config)[label] = (passed + int(report.passed), total + 1)


def record(config, label: str, passed: int, total: int) -> None:
    table(config)[label] = (passed, total)


def summary_lines(config) -> list[str]:
    return [f"{label}: {passed} of {total}" for label, (passed, total) in table(config).items()]
