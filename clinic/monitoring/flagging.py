"""Raise course flags set-based: one INSERT ... SELECT per kind of flag, whatever the number of
courses, plus one INSERT that writes the audit history of the flags just raised.

Used two ways that must agree: `flag_courses` (beat, nightly, and the management command) runs
it over every course; saving a visit runs the same statements for that one course after commit.
The history INSERT picks this run's flags by their raised_at (the run's own timestamp,
indexed), so it never rescans or duplicates earlier history. Re-running raises nothing new: the
unique constraints (one flag per course, kind and subject; one open flag per course and kind)
turn duplicates into ON CONFLICT DO NOTHING, which also makes two runs at once safe. Works on
PostgreSQL and SQLite.

Flags after acknowledgement (docs/CLINICAL_RULES.md): an acknowledged flag is never raised again
for the same subject (the flag_once_per_subject constraint), and a new subject raises a new flag
only when it is a new finding:
- REACHED_20_WEEKS, APPROACHING_20_WEEKS: subject "", so once per course, ever.
- NODULES_DOWN_70: subject = the visit id. A later visit raises it again only when its nodule
  count is lower than the count at every acknowledged flag of that kind for the course (the
  NOT EXISTS below reads that count from the visit the acknowledged flag names), i.e. only
  when the fall has gone further than what the prescriber already saw.
- MOOD_SCREEN, POSITIVE_PREGNANCY: subject = the visit or test: each positive screen or test
  is its own finding; the same one never raises twice.
- FOLLOW_UP_OVERDUE: subject = the planned date: a newly planned date missed is a new finding.
- Lab alerts (R19: TRIGLYCERIDES_ABOVE_800 and _500, LIVER_ENZYMES_ABOVE_3X,
  CHOLESTEROL_ABOVE_300): subject = the visit, whose labs are the finding; a value past the
  800 line raises that flag and not the 500 one too. Planned courses count as well as active
  ones: baseline labs are drawn before the first dose.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from clinic.monitoring import thresholds
from clinic.monitoring.models import CourseFlag, FlagKind
from clinic.monitoring.models.flags import URGENCY
from dosing import rules

INSERT = """
INSERT INTO clinic_courseflag
    (course_id, kind, urgency, subject_key, raised_at, detail, action, action_text)
SELECT {select}
{where_course}
ON CONFLICT DO NOTHING
"""

# The visits whose labs may raise a lab alert: of a planned or active course.
_LAB_VISITS = """FROM dosing_treatmentcourse c JOIN clinic_visit v ON v.course_id = c.id
        WHERE c.status IN ('planned', 'active')"""


def _lab_columns(what: str, value: str, unit: str) -> str:
    """The flag's columns for a lipid alert: "Triglycerides 812.00 mg/dL on 2027-03-01 (R19)"."""
    return (
        f"CAST(v.id AS TEXT), %(now)s, '{what} ' || CAST({value} AS TEXT) || ' ' || {unit} || "
        "' on ' || CAST(v.visit_date AS TEXT) || ' (R19)', '', ''"
    )


_TRIGLYCERIDES = _lab_columns("Triglycerides", "v.triglycerides", "v.triglycerides_unit")

# kind -> (SELECT columns after course_id and kind, FROM/WHERE). %(now)s etc. are parameters.
QUERIES: dict[FlagKind, tuple[str, str]] = {
    FlagKind.REACHED_20_WEEKS: (
        "'', %(now)s, 'Day 140 of the course: the 20-week limit (R8)', '', ''",
        "FROM dosing_treatmentcourse c "
        "WHERE c.status = 'active' AND c.start_date <= %(day_140_start)s",
    ),
    FlagKind.APPROACHING_20_WEEKS: (
        "'', %(now)s, 'Week 18: plan the end of the course', '', ''",
        "FROM dosing_treatmentcourse c "
        "WHERE c.status = 'active' AND c.start_date <= %(week_18_start)s",
    ),
    # The visit id is compared as text (CAST(fv.id AS TEXT)), never subject_key cast to a
    # number: PostgreSQL may evaluate a cast on rows of other kinds ('' or a date) and fail.
    FlagKind.NODULES_DOWN_70: (
        "CAST(v.id AS TEXT), %(now)s, 'Nodule count ' || CAST(v.nodule_count AS TEXT) || "
        "' from ' || CAST(c.baseline_nodule_count AS TEXT) || ' at baseline (R9)', '', ''",
        """FROM dosing_treatmentcourse c JOIN clinic_visit v ON v.course_id = c.id
        WHERE c.status = 'active' AND c.baseline_nodule_count > 0
          AND 100 * v.nodule_count < %(nodule_left_percent)s * c.baseline_nodule_count
          AND v.id = (SELECT v2.id FROM clinic_visit v2 WHERE v2.course_id = c.id
                      ORDER BY v2.visit_date DESC, v2.id DESC LIMIT 1)
          AND NOT EXISTS (
              SELECT 1 FROM clinic_courseflag f
              JOIN clinic_visit fv ON fv.course_id = c.id AND CAST(fv.id AS TEXT) = f.subject_key
              WHERE f.course_id = c.id AND f.kind = 'nodules_down_70'
                AND f.acknowledged_at IS NOT NULL AND fv.nodule_count <= v.nodule_count)""",
    ),
    FlagKind.FOLLOW_UP_OVERDUE: (
        "CAST(v.next_follow_up AS TEXT), %(now)s, 'Planned follow-up on ' || "
        "CAST(v.next_follow_up AS TEXT) || ' has not happened', '', ''",
        """FROM dosing_treatmentcourse c JOIN clinic_visit v ON v.course_id = c.id
        WHERE c.status = 'active' AND v.next_follow_up < %(overdue_before)s
          AND v.id = (SELECT v2.id FROM clinic_visit v2 WHERE v2.course_id = c.id
                      ORDER BY v2.visit_date DESC, v2.id DESC LIMIT 1)""",
    ),
    FlagKind.MOOD_SCREEN: (
        "CAST(v.id AS TEXT), %(now)s, 'PHQ-2 score ' || "
        "CAST(v.phq2_interest + v.phq2_mood AS TEXT) || ' on ' || "
        "CAST(v.visit_date AS TEXT) || ' (R20)', '', ''",
        """FROM dosing_treatmentcourse c JOIN clinic_visit v ON v.course_id = c.id
        WHERE c.status = 'active' AND v.phq2_interest + v.phq2_mood >= %(phq2_positive_at)s""",
    ),
    FlagKind.TRIGLYCERIDES_ABOVE_800: (
        _TRIGLYCERIDES,
        f"""{_LAB_VISITS} AND v.triglycerides > CASE v.triglycerides_unit
            WHEN 'mmol/L' THEN %(tg_urgent_mmol)s ELSE %(tg_urgent_mg)s END""",
    ),
    FlagKind.TRIGLYCERIDES_ABOVE_500: (
        _TRIGLYCERIDES,
        f"""{_LAB_VISITS} AND v.triglycerides > CASE v.triglycerides_unit
            WHEN 'mmol/L' THEN %(tg_alert_mmol)s ELSE %(tg_alert_mg)s END
          AND v.triglycerides <= CASE v.triglycerides_unit
            WHEN 'mmol/L' THEN %(tg_urgent_mmol)s ELSE %(tg_urgent_mg)s END""",
    ),
    FlagKind.LIVER_ENZYMES_ABOVE_3X: (
        "CAST(v.id AS TEXT), %(now)s, 'ALT ' || COALESCE(CAST(v.alt AS TEXT), '-') || "
        "', AST ' || COALESCE(CAST(v.ast AS TEXT), '-') || ' U/L on ' || "
        "CAST(v.visit_date AS TEXT) || ' (R19)', '', ''",
        f"{_LAB_VISITS} AND (v.alt > %(liver_alert)s OR v.ast > %(liver_alert)s)",
    ),
    FlagKind.CHOLESTEROL_ABOVE_300: (
        _lab_columns("Total cholesterol", "v.total_cholesterol", "v.cholesterol_unit"),
        f"""{_LAB_VISITS} AND v.total_cholesterol > CASE v.cholesterol_unit
            WHEN 'mmol/L' THEN %(chol_alert_mmol)s ELSE %(chol_alert_mg)s END""",
    ),
    # Not limited to active courses: the positive test itself stops the course (R18).
    FlagKind.POSITIVE_PREGNANCY: (
        "CAST(t.id AS TEXT), %(now)s, 'Positive pregnancy test, specimen of ' || "
        "CAST(t.specimen_date AS TEXT) || ' (R18)', '', ''",
        """FROM dosing_treatmentcourse c
        JOIN registry_pregnancytest t ON t.patient_id = c.patient_id
        WHERE t.result = 'positive' AND t.specimen_date >= c.start_date
          AND (c.end_date IS NULL OR t.specimen_date <= c.end_date)""",
    ),
}

# The history row of a flag just raised: the flag's own columns, plus simple-history's. The
# column list comes from the historical model's fields, so a field added to CourseFlag is
# copied too (or, if it is history-only and unknown here, stops the run loudly).
HISTORY_ONLY = {
    "history_date": "f.raised_at",
    "history_change_reason": "'raised by flag_courses'",
    "history_type": "'+'",
    "history_user_id": "NULL",
}


def history_sql(where_course: str) -> str:
    quote = connection.ops.quote_name
    flag_columns = {field.column for field in CourseFlag._meta.concrete_fields}
    history = CourseFlag.history.model
    columns, values = [], []
    for field in history._meta.concrete_fields:
        if field.primary_key:
            continue  # history_id: the history row's own key
        if field.column in HISTORY_ONLY:
            value = HISTORY_ONLY[field.column]
        elif field.column in flag_columns:
            value = f"f.{quote(field.column)}"
        else:
            raise ImproperlyConfigured(f"flag history: no value for column {field.column}")
        columns.append(quote(field.column))
        values.append(value)
    # Names from the models' metadata and constants above; the values go as parameters.
    return (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM {quote(CourseFlag._meta.db_table)} f "
        f"WHERE f.raised_at = %(now)s {where_course}"
    )


@dataclass(frozen=True)
class FlagRun:
    raised: int
    statements: int


def flag_params(today: datetime.date, course_id: int | None = None) -> dict:
    """The statements' parameters on `today`: dates and the clinical thresholds."""
    ops = connection.ops
    return {
        "now": ops.adapt_datetimefield_value(timezone.now()),
        # Day 140 is (today - start).days == 139; week 18 begins on day 120.
        "day_140_start": ops.adapt_datefield_value(
            today - datetime.timedelta(days=rules.COURSE_DAYS_LIMIT - 1)
        ),
        "week_18_start": ops.adapt_datefield_value(
            today - datetime.timedelta(days=(thresholds.APPROACHING_WEEK - 1) * 7)
        ),
        "overdue_before": ops.adapt_datefield_value(
            today - datetime.timedelta(days=thresholds.FOLLOW_UP_OVERDUE_AFTER_DAYS)
        ),
        "course": course_id,
        # The thresholds as parameters (clinic.monitoring.thresholds), never written into SQL.
        "nodule_left_percent": 100 - thresholds.NODULE_FALL_PERCENT,
        "phq2_positive_at": thresholds.PHQ2_POSITIVE_AT,
        "tg_urgent_mg": thresholds.TRIGLYCERIDES_URGENT_ABOVE["mg/dL"],
        "tg_urgent_mmol": thresholds.TRIGLYCERIDES_URGENT_ABOVE["mmol/L"],
        "tg_alert_mg": thresholds.TRIGLYCERIDES_ALERT_ABOVE["mg/dL"],
        "tg_alert_mmol": thresholds.TRIGLYCERIDES_ALERT_ABOVE["mmol/L"],
        "liver_alert": thresholds.LIVER_ENZYME_ALERT_ABOVE,
        "chol_alert_mg": thresholds.CHOLESTEROL_ALERT_ABOVE["mg/dL"],
        "chol_alert_mmol": thresholds.CHOLESTEROL_ALERT_ABOVE["mmol/L"],
    }


def raise_flags(*, today: datetime.date | None = None, course_id: int | None = None) -> FlagRun:
    """Raise every flag that is due, for all courses or one. Returns how many were raised."""
    params = flag_params(today or timezone.localdate(), course_id)
    raised = statements = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, (columns, source) in QUERIES.items():
            # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parser ambiguity);
            # every source has one, and the one-course filter extends it.
            sql = INSERT.format(
                select=f"c.id, '{kind.value}', {URGENCY[kind]}, {columns} {source}",
                where_course="AND c.id = %(course)s" if course_id is not None else "",
            )
            cursor.execute(sql, params)
            raised += max(cursor.rowcount, 0)
            statements += 1
        cursor.execute(
            history_sql("AND f.course_id = %(course)s" if course_id is not None else ""), params
        )
        statements += 1
    return FlagRun(raised=raised, statements=statements)
