"""The monitoring app's records: visits, course flags and the appointment book."""

from clinic.monitoring.models.appointments import Appointment, ClinicSession
from clinic.monitoring.models.flags import CourseFlag, FlagKind
from clinic.monitoring.models.outcomes import OutcomeBuild, OutcomeCount
from clinic.monitoring.models.visits import Visit

__all__ = [
    "Appointment",
    "ClinicSession",
    "CourseFlag",
    "FlagKind",
    "OutcomeBuild",
    "OutcomeCount",
    "Visit",
]
