"""The portal's course builder, for pages with a course to show."""

from tests.portal.builders import build_course  # noqa: F401
