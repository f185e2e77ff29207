"""One patient's record and the plan of their courses (every stage a course can be in)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from clinic.demo.data import months
from clinic.demo.data.names import (
    FEMALE_NAMES,
    LAST_NAMES,
    MALE_NAMES,
    OTHER_NAMES,
    WITHDRAWAL_REASONS,
)
from registry.registry_id import ALPHABET, BODY_LENGTH, check_character, format_id

DAY = datetime.timedelta(days=1)
SPACE = len(ALPHABET) ** BODY_LENGTH
STRIDE = 0x9E3779B97  # odd, so i -> i * STRIDE mod 32^8 is a bijection: unique, spread out
GAP_DAYS = 56  # R10: 8 weeks between courses

# What a patient's courses look like: (weight, first course, second course or None).
# "active" is an active course at a week 1-20; the ended stages end before today.
PLANS = (
    (5, None, None),
    (5, "planned", None),
    (34, "active", None),
    (10, "completed", None),
    (6, "stopped_early", None),
    (6, "stopped_20_weeks", None),
    (5, "discontinued", None),
    (10, "completed", "active"),
    (4, "stopped_early", "completed"),
    (4, "discontinued", "planned"),
    (6, "withdrawn", None),
)
PLAN_WEIGHTS = [p[0] for p in PLANS]
ENDED_LENGTH = {  # days on treatment
    "completed": (110, 140),
    "stopped_early": (60, 110),
    "stopped_20_weeks": (140, 140),
    "discontinued": (14, 80),
}


def registry_id(pk: int) -> str:
    value = (pk * STRIDE) % SPACE
    body = ""
    for _ in range(BODY_LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        body = ALPHABET[digit] + body
    return format_id(body + check_character(body))


def add_patient(g) -> None:
    rng, today = g.rng, g.today
    sex = rng.choices(("female", "male", "intersex", "undisclosed"), (52, 45, 1, 2))[0]
    if sex == "female":
        first = rng.choice(FEMALE_NAMES)
        can_get_pregnant = rng.random() < 0.85
    elif sex == "male":
        first, can_get_pregnant = rng.choice(MALE_NAMES), False
    else:
        first, can_get_pregnant = rng.choice(OTHER_NAMES), rng.random() < 0.5
    last = rng.choice(LAST_NAMES)
    born = today - datetime.timedelta(days=rng.randrange(12 * 365 + 4, 45 * 365))
    plan = rng.choices(PLANS, PLAN_WEIGHTS)[0]
    first_stage, second_stage = plan[1], plan[2]
    withdrawn = first_stage == "withdrawn"
    if withdrawn:
        first_stage = rng.choice((None, "discontinued"))

    courses = plan_courses(g, first_stage, second_stage)
    enrol_day = (courses[0][1] if courses else today) - DAY * rng.randrange(20, 120)
    enrol_day = min(enrol_day, today)
    consent_day = enrol_day if rng.random() < 0.97 else None
    reminders = rng.random() < 0.6
    prescriber = rng.choice(g.prescribers)
    stages = {stage for stage, *_ in courses}
    if withdrawn:
        status, reason = "withdrawn", rng.choice(WITHDRAWAL_REASONS)
    elif "active" in stages:
        status, reason = "in_treatment", ""
    elif courses and courses[-1][0] == "completed":
        status, reason = "completed", ""
    elif courses and courses[-1][0] != "planned":
        status, reason = "between_courses", ""
    else:
        status, reason = "enrolled", ""
    changed = None if status == "enrolled" else g.at(today - DAY * rng.randrange(0, 30), 11)
    pk = g.tables.patient.next_id
    email = f"{first}.{last}.{pk}@example.org".lower()
    g.tables.patient.add(
        registry_id(pk),
        first,
        last,
        born,
        sex,
        email,
        # E.164, as the registry keeps numbers: Ofcom's range for drama (never a real phone).
        f"+4477009{pk % 100000:05d}",
        prescriber,
        "can_get_pregnant" if can_get_pregnant else "cannot_get_pregnant",
        consent_day,
        reminders,
        "email" if reminders else "",
        consent_day if reminders else None,
        status,
        reason,
        changed,
        g.at(enrol_day, 9),
        rng.choice(g.nurses),
        # One in eight reads the portal and messages in Spanish; from the id, not the random
        # stream, so the rest of a seed's registry is as it was before languages.
        "es" if pk % 8 == 0 else "en-gb",
    )
    for _ in range(rng.choice((1, 1, 2, 3))):
        g.tables.prior.add(
            pk,
            rng.choice(("otc_wash", "topical_spot", "topical_retinoid", "oral_antibiotic")),
            enrol_day - DAY * rng.randrange(100, 1500),
            rng.choice(("no_improvement", "partial", "relapsed", "side_effects")),
        )
    patient = months.PatientInfo(pk, can_get_pregnant, email if reminders else "", prescriber)
    weight = Decimal(rng.randrange(450, 1100)) / 10
    for number, (stage, start, end) in enumerate(courses, start=1):
        months.add_course(g, patient, number, stage, start, end, weight)
        weight += Decimal(rng.randrange(-20, 30)) / 10


def plan_courses(g, first, second) -> list[tuple[str, datetime.date, datetime.date | None]]:
    """(stage, start, end) per course, oldest first; at most one active, 8 weeks between."""
    rng, today = g.rng, g.today
    if first is None:
        return []
    if first == "planned":
        return [("planned", today + DAY * rng.randrange(3, 30), None)]
    if second is None and first == "active":
        return [("active", active_start(rng, today), None)]
    courses = []
    if second == "planned":
        second_start = today + DAY * rng.randrange(3, 30)
        courses.append(("planned", second_start, None))
    elif second == "active":
        second_start = active_start(rng, today)
        courses.append(("active", second_start, None))
    elif second is not None:
        length = rng.randint(*ENDED_LENGTH[second])
        second_end = today - DAY * rng.randrange(1, 200)
        second_start = second_end - DAY * (length - 1)
        courses.append((second, second_start, second_end))
    else:
        second_start = today + DAY * (GAP_DAYS + 1)
    # The first course ended at least 8 weeks before the second started, and before today.
    latest_end = min(second_start - DAY * GAP_DAYS, today - DAY)
    first_end = latest_end - DAY * rng.randrange(0, 300)
    first_start = first_end - DAY * (rng.randint(*ENDED_LENGTH[first]) - 1)
    courses.insert(0, (first, first_start, first_end))
    return courses


def active_start(rng, today: datetime.date) -> datetime.date:
    week = rng.randint(1, 20)
    return today - DAY * ((week - 1) * 7 + rng.randrange(0, 7))
