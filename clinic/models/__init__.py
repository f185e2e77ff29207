"""The monitoring app's records: visits, course flags, reminders, the heartbeat."""

from clinic.models import second_factor_history  # noqa: F401  (registers the device history)
from clinic.models.flags import CourseFlag, FlagKind
from clinic.models.heartbeat import Heartbeat
from clinic.models.portal import CalendarFeed
from clinic.models.reminders import Reminder
from clinic.models.visits import Visit

__all__ = ["CalendarFeed", "CourseFlag", "FlagKind", "Heartbeat", "Reminder", "Visit"]
