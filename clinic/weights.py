"""The latest recorded weight of a course's patient (R6): doses follow it.

Visits (monitoring issue) will record weights; until then the course's baseline weight is the
latest. Dosing never imports this: clinic views pass the weight into dosing's services.
"""

from decimal import Decimal

from dosing.models import TreatmentCourse


def latest_weight_kg(course: TreatmentCourse) -> Decimal:
    return course.baseline_weight_kg
