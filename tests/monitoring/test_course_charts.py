"""The course page's chart data (issue 17 point 2): each value on the day it was measured,
lipids in mg/dL whatever unit they were drawn in, the baseline labs before the course on the lab
charts, and the lines drawn where the thresholds module puts them."""

import datetime
from decimal import Decimal

from clinic.monitoring import thresholds
from clinic.monitoring.course_charts import chart_data
from clinic.monitoring.models import Visit
from tests.course_fixtures import days_ago, draw_baseline_labs


def visit(course, nurse, on, nodules, **labs):
    return Visit.objects.create(
        patient=course.patient,
        course=course,
        visit_date=on,
        weight_kg=Decimal("70.5"),
        nodule_count=nodules,
        phq2_interest=0,
        phq2_mood=0,
        recorded_by=nurse,
        **labs,
    )


def test_points_sit_on_their_days_and_lipids_are_in_mg_per_dl(male_patient, start_course, nurse):
    course = start_course(male_patient, start_date=days_ago(60), nodules=20)
    first = visit(
        course,
        nurse,
        days_ago(50),
        15,
        triglycerides=Decimal("2.00"),
        triglycerides_unit="mmol/L",
        alt=45,
    )
    second = visit(
        course,
        nurse,
        days_ago(3),
        5,
        triglycerides=Decimal(300),
        triglycerides_unit="mg/dL",
        total_cholesterol=Decimal("5.20"),
        cholesterol_unit="mmol/L",
    )
    data = chart_data(course, [first, second])
    assert data["nodules"] == [
        {"x": course.start_date.isoformat(), "y": 20.0},
        {"x": days_ago(50).isoformat(), "y": 15.0},
        {"x": days_ago(3).isoformat(), "y": 5.0},
    ]
    assert data["weights"][1] == {"x": days_ago(50).isoformat(), "y": 70.5}
    assert data["labs"]["triglycerides"] == [
        {"x": days_ago(50).isoformat(), "y": 177.1},  # 2.00 mmol/L x 88.57
        {"x": days_ago(3).isoformat(), "y": 300.0},
    ]
    assert data["labs"]["total_cholesterol"] == [{"x": days_ago(3).isoformat(), "y": 201.1}]
    assert data["labs"]["alt"] == [{"x": days_ago(50).isoformat(), "y": 45.0}]
    assert data["labs"]["ast"] == []
    assert data["line70"] == 6.0


def test_the_baseline_labs_before_the_course_are_on_the_lab_charts_only(
    male_patient, start_course, nurse
):
    baseline = draw_baseline_labs(male_patient, by=nurse, on=days_ago(65))
    course = start_course(male_patient, start_date=days_ago(60))
    data = chart_data(course, [], earlier=[baseline])
    assert data["labs"]["alt"] == [{"x": days_ago(65).isoformat(), "y": 25.0}]
    assert [p["x"] for p in data["nodules"]] == [course.start_date.isoformat()]


def test_the_lab_lines_are_the_thresholds():
    course = type(
        "Course",
        (),
        {
            "start_date": datetime.date(2027, 1, 4),
            "baseline_nodule_count": 10,
            "baseline_weight_kg": Decimal(70),
        },
    )()
    lines = chart_data(course, [])["lab_lines"]
    assert [line["y"] for line in lines["lipids"]] == [150.0, 500.0, 800.0, 200.0, 300.0]
    assert [line["y"] for line in lines["liver"]] == [40.0, 120.0]
    assert thresholds.LIVER_ENZYME_ALERT_ABOVE == 120
