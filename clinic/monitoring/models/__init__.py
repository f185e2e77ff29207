"""The monitoring app's records: visits and course flags."""

from clinic.monitoring.models.flags import CourseFlag, FlagKind
from clinic.monitoring.models.outcomes import OutcomeBuild, OutcomeCount
from clinic.monitoring.models.visits import Visit

__all__ = ["CourseFlag", "FlagKind", "OutcomeBuild", "OutcomeCount", "Visit"]
