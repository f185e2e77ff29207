"""The appointment book's grower for test_query_counts.py: clinic sessions over the next four
weeks (the booking form's free slots), other patients booked today (the day view), half of them
asking to cancel or move (the requests page), and the patient persona's own appointments (the
patient page, the portal)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clinic.monitoring.models import Appointment, ClinicSession
from tests.performance.growers import TODAY, days, make_patients


def _session(world, day) -> ClinicSession:
    return ClinicSession(
        prescriber=world.prescriber,
        day=day,
        starts=datetime.time(0, 0),
        ends=datetime.time(23, 50),
        slot_minutes=10,
        capacity=3,
        created_by=world.nurse,
    )


def grow_appointments(world, n: int) -> None:
    today, *later = ClinicSession.objects.bulk_create(
        [_session(world, TODAY)] + [_session(world, TODAY + days(1 + k % 27)) for k in range(n)]
    )
    slots = today.slot_starts()
    rows = []
    for k, patient in enumerate(make_patients(n, [world.prescriber])):
        pending = k % 2 == 1
        rows.append(
            Appointment(
                patient=patient,
                session=today,
                starts_at=slots[k % len(slots)],
                booked_by=world.nurse,
                requested_change=("move" if k % 4 == 1 else "cancel") if pending else "",
                request_status="pending" if pending else "",
                request_message="Another week, please." if pending else "",
                requested_at=timezone.now() if pending else None,
            )
        )
    # The persona's own: one a slot in the sessions to come (distinct moments).
    first = timezone.now() + datetime.timedelta(days=1)
    rows += [
        Appointment(
            patient=world.patient,
            session=later[k],
            starts_at=first + datetime.timedelta(minutes=10 * k),
            booked_by=world.nurse,
        )
        for k in range(n)
    ]
    Appointment.objects.bulk_create(rows)
