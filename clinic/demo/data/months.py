"""One course and its months: visits with falling nodule counts, pregnancy tests, monthly
confirmations, prescriptions, dispenses and reminders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from clinic.demo.data.names import (
    CONTRACEPTION_PRIMARY,
    CONTRACEPTION_SECONDARY,
    QUESTIONS,
    SEND_ERRORS,
    SIDE_EFFECTS,
)
from dosing import rules

DAY = datetime.timedelta(days=1)
MONTH_DAYS = 28
FORMULATIONS = ("conventional",) * 6 + ("absorica",) * 3 + ("absorica_ld",)
TARGETS = (Decimal(120), Decimal(120), Decimal(135), Decimal(150))
PHQ_WEIGHTS = (75, 18, 5, 2)


@dataclass(frozen=True)
class PatientInfo:
    pk: int
    can_get_pregnant: bool
    email: str  # "" when the patient has not consented to reminders
    prescriber: int


@cache
def doses(formulation: str, weight_kg: int) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """(mg per dose, capsules) inside the usual range, low to high, at a whole-kg weight at
    or below the real one, so twice the dose never passes the ceiling."""
    found = rules.dose_range(weight_kg, formulation).candidates
    if not found:  # a light patient on large capsules: the smallest dose there is
        mg = rules.makeable_doses(rules.Formulation(formulation), 40)[0]
        return ((mg, rules.capsule_combinations(formulation, mg)[0]),)
    return tuple((c.mg_per_dose, c.combinations[0]) for c in found)


def add_course(g, patient: PatientInfo, number, stage, start, end, weight: Decimal) -> None:
    rng, today, tables = g.rng, g.today, g.tables
    status = "active" if stage == "active" else stage
    base = rng.randrange(4, 41)
    formulation = rng.choice(FORMULATIONS)
    course = tables.course.add(
        patient.pk,
        number,
        start,
        weight,
        base,
        formulation,
        rng.choice(TARGETS),
        status,
        end,
        END_REASON.get(stage, ""),
        patient.prescriber,
        g.at(min(start, today) - DAY * rng.randrange(0, 5), 10),
    )
    if patient.can_get_pregnant:  # the screening test before the first month
        screening = start - DAY * rng.randrange(20, 31)
        if screening <= today:
            tables.test.add(
                patient.pk, screening, "negative", rng.choice(g.nurses), g.at(screening, 12)
            )
    if stage == "planned":
        return
    last_day = end or today
    days = []
    day = start
    while day <= last_day:
        days.append(day)
        day += DAY * MONTH_DAYS
    if stage == "active" and len(days) > 1 and rng.random() < 0.08:
        days.pop()  # the patient missed the last follow-up
    fall = 0.6 if stage == "stopped_early" else rng.uniform(0.72, 0.9)
    limit = rules.twenty_week_limit(start)
    for month, day in enumerate(days):
        nodules = round(base * fall**month * rng.uniform(0.85, 1.15)) if month else base
        weight_now = weight + Decimal(rng.randrange(-15, 16)) / 10
        add_month(g, patient, course, formulation, month, day, nodules, weight_now, limit, end)
    if days:  # the course's copy of its latest visit (clinic.monitoring.follow_ups)
        tables.course.amend_last(
            course,
            last_visit_on=days[-1],
            next_follow_up=days[-1] + DAY * MONTH_DAYS,
            last_weight_kg=weight_now,
            # The month-2 visit draws the labs (add_month), from week 7 on: the month-2 labs.
            month_two_labs_on=days[2] if len(days) > 2 else None,
        )


END_REASON = {
    "completed": "Cumulative target reached.",
    "stopped_early": "Nodule count down more than 70%.",
    "stopped_20_weeks": "Reached the 20-week limit.",
    "discontinued": "Side effects: stopped at the patient's request.",
}


def add_month(g, patient, course, formulation, month, day, nodules, weight, limit, end):
    rng, today, tables = g.rng, g.today, g.tables
    nurse = rng.choice(g.nurses)
    test = test_pk = None
    contraception = []
    if patient.can_get_pregnant:
        positive = month > 0 and end is None and rng.random() < 0.003
        test = test_pk = tables.test.add(
            patient.pk, day, "positive" if positive else "negative", nurse, g.at(day, 9)
        )
        contraception = [rng.choice(CONTRACEPTION_PRIMARY), rng.choice(CONTRACEPTION_SECONDARY)]
        confirmed = day - DAY * rng.randrange(0, 4)
        passed = rng.random() < 0.96
        tables.confirmation.add(
            patient.pk,
            confirmed,
            contraception,
            dict.fromkeys(QUESTIONS, "yes"),
            rng.choice((1, 1, 1, 2)),
            passed,
            g.at(confirmed, 19),
        )
        if positive:
            test = None  # no prescription relies on a positive test
    labs = month in (0, 2)
    follow_up = day + DAY * MONTH_DAYS
    visit = tables.visit.add(
        patient.pk,
        course,
        day,
        weight,
        nodules,
        rng.sample(SIDE_EFFECTS, rng.choice((0, 1, 1, 2, 3))) if month else [],
        rng.choices(range(4), PHQ_WEIGHTS)[0],
        rng.choices(range(4), PHQ_WEIGHTS)[0],
        Decimal(rng.randrange(6000, 25000)) / 100 if labs else None,
        Decimal(rng.randrange(12000, 26000)) / 100 if labs else None,
        rng.randrange(10, 60) if labs else None,
        rng.randrange(10, 50) if labs else None,
        test_pk,
        contraception,
        follow_up,
        nurse,
        g.at(day, 10),
    )
    if patient.email:
        reminder(g, "follow_up_visit", patient, f"visit:{visit}", follow_up)
    supply = min(30, (limit - day).days + 1)
    if supply < 1 or (patient.can_get_pregnant and test is None):
        return
    choices = doses(formulation, int(weight))
    mg, capsules = (
        choices[0] if month == 0 else choices[-1 - rng.randrange(0, min(2, len(choices)))]
    )
    if patient.can_get_pregnant:
        opens, closes = day, day + DAY * 6
    else:
        opens, closes = day, day + DAY * 29
    prescription = tables.prescription.next_id  # written below, once its pick-up is known
    if patient.email and closes >= today and end is None:
        reminder(g, "pick_up_closing", patient, f"prescription:{prescription}", closes - DAY)
    picked_up = opens <= today and rng.random() <= 0.93
    tables.prescription.add(
        course,
        day,
        patient.prescriber,
        weight,
        mg,
        formulation,
        list(capsules),
        supply,
        test,
        opens,
        closes,
        g.at(day, 11),
        test is not None,  # written_can_get_pregnant
        not picked_up,  # awaiting_pickup
    )
    if not picked_up:
        return
    on = min(opens + DAY * rng.randrange(0, 3), today, closes)
    quantity = len(capsules) * 2 * supply
    pharmacy = rng.choice(g.pharmacies)
    pharmacist = rng.choice(g.pharmacists)
    if rng.random() < 0.03:  # dispensed, reversed, dispensed again
        first = tables.dispense.next_id
        tables.dispense.add(
            prescription, pharmacy, f"DEMO{first:010d}", g.at(on, 12), pharmacist,
            quantity, supply, g.at(on, 14), pharmacist, "Wrong strength dispensed.",
        )  # fmt: skip
    number = tables.dispense.next_id
    tables.dispense.add(
        prescription, pharmacy, f"DEMO{number:010d}", g.at(on, 15), pharmacist,
        quantity, supply, None, None, "",
    )  # fmt: skip


REMINDER_PAST = (("sent", 85), ("failed", 5), ("skipped", 5), ("cancelled", 5))
REMINDER_FUTURE = (("scheduled", 88), ("in_flight", 4), ("cancelled", 8))


def reminder(g, kind, patient, subject_key, due_day) -> None:
    rng = g.rng
    options = REMINDER_PAST if due_day < g.today else REMINDER_FUTURE
    status = rng.choices([o[0] for o in options], [o[1] for o in options])[0]
    due = g.at(due_day, 8)
    attempts, claimed, sent, error, retry = 0, None, None, "", None
    if status == "sent":
        attempts, sent = 1, due + datetime.timedelta(seconds=rng.randrange(5, 300))
    elif status == "failed":
        attempts, error = 5, rng.choice(SEND_ERRORS)
    elif status == "skipped":
        error = "The patient withdrew consent to reminders."
    elif status == "in_flight":
        attempts, claimed = 1, g.now
    elif status == "cancelled":
        error = "The visit was rescheduled."
    g.tables.reminder.add(
        kind,
        patient.pk,
        patient.email,
        subject_key,
        due,
        due_day,
        status,
        attempts,
        retry,
        claimed,
        sent,
        error,
        due - datetime.timedelta(days=20),
    )
