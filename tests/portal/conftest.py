"""Portal test records: the patient persona's course, built through the dosing services."""

from tests.portal.builders import build_course  # noqa: F401
