"""generate_demo_data: plausible, valid, reproducible fake data, and its refusals."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import override_settings
from django.utils import timezone

from clinic.demo.data.runner import progress_printer
from clinic.monitoring.models import CourseFlag, Visit
from clinic.reminders.models import Reminder
from dosing import rules
from dosing.models import Dispense, Prescription, TreatmentCourse
from registry.models import (
    CertificationChange,
    MonthlyConfirmation,
    Patient,
    PharmacyCertification,
    PregnancyTest,
    PriorTreatment,
)
from registry.registry_id import is_valid

PATIENTS = 200
SEED = 3


def generate(**options):
    with override_settings(DEBUG=True):
        call_command(
            "generate_demo_data", patients=PATIENTS, seed=SEED, batch=70, verbosity=0, **options
        )


def identity():
    patients = list(
        Patient.objects.order_by("registry_id").values_list(
            "registry_id", "first_name", "last_name", "date_of_birth", "risk_category", "status"
        )
    )
    courses = list(
        TreatmentCourse.objects.order_by("patient__registry_id", "number").values_list(
            "patient__registry_id", "number", "status", "start_date", "end_date"
        )
    )
    return patients, courses


def delete_generated():
    for model in (
        CourseFlag,
        Reminder,
        Dispense,
        Prescription,
        Visit,
        MonthlyConfirmation,
        PregnancyTest,
        TreatmentCourse,
        PriorTreatment,
        Patient,
    ):
        model.objects.all()._raw_delete(connection.alias)


@pytest.fixture
def generated(db):
    generate()


def test_it_fills_every_table_with_plausible_counts(generated):
    assert Patient.objects.count() == PATIENTS
    courses = TreatmentCourse.objects.count()
    assert PATIENTS * 0.9 <= courses <= PATIENTS * 1.5
    assert courses * 2 <= Visit.objects.count() <= courses * 6
    assert Prescription.objects.count() >= courses * 2
    assert Dispense.objects.count() >= Prescription.objects.count() * 0.7
    assert PriorTreatment.objects.count() >= PATIENTS
    can_get_pregnant = Patient.objects.filter(risk_category="can_get_pregnant")
    cannot = Patient.objects.filter(risk_category="cannot_get_pregnant")
    assert can_get_pregnant.exists()
    assert cannot.exists()
    assert PregnancyTest.objects.exclude(patient__in=can_get_pregnant).count() == 0
    assert PregnancyTest.objects.count() >= can_get_pregnant.count()
    assert MonthlyConfirmation.objects.exists()
    assert Patient.objects.filter(status="withdrawn").exists()
    assert Patient.objects.filter(reminder_consent=True).exists()
    assert Patient.objects.filter(reminder_consent=False).exists()
    assert set(TreatmentCourse.objects.values_list("status", flat=True)) == set(
        TreatmentCourse.Status.values
    )
    assert set(Reminder.objects.values_list("status", flat=True)) == set(Reminder.Status.values)
    assert set(PharmacyCertification.objects.values_list("status", flat=True)) == set(
        PharmacyCertification.Status.values
    )
    assert CertificationChange.objects.count() >= PharmacyCertification.objects.count() / 2
    assert CourseFlag.objects.exists()


def test_people_are_12_to_45_and_nodule_counts_fall(generated):
    today = timezone.localdate()
    for born in Patient.objects.values_list("date_of_birth", flat=True):
        assert 12 <= (today - born).days / 365.25 <= 45.1
    falling = 0
    for course in TreatmentCourse.objects.annotate(n=Count("visits")).filter(n__gte=3):
        counts = list(course.visits.order_by("visit_date").values_list("nodule_count", flat=True))
        falling += counts[-1] < counts[0]
    assert falling > 0


def test_every_registry_id_is_valid_and_unique(generated):
    ids = list(Patient.objects.values_list("registry_id", flat=True))
    assert all(is_valid(registry_id) for registry_id in ids)
    assert len(set(ids)) == len(ids)


def test_courses_follow_the_rules(generated):
    active = Counter(
        TreatmentCourse.objects.filter(status="active").values_list("patient_id", flat=True)
    )
    assert active
    assert max(active.values()) == 1
    today = timezone.localdate()
    for course in TreatmentCourse.objects.filter(status="active"):
        assert 1 <= course.week_number(today) <= 20
    for second in TreatmentCourse.objects.filter(number=2):
        first = TreatmentCourse.objects.get(patient_id=second.patient_id, number=1)
        assert first.end_date is not None
        assert (second.start_date - first.end_date).days >= 56


def test_no_prescription_above_the_ceiling_and_windows_fit_the_risk(generated):
    for rx in Prescription.objects.select_related("course__patient"):
        check = rules.check_regimen(rx.mg_per_dose, rx.doses_per_day, rx.weight_kg, rx.formulation)
        assert check.accepted, check.refusals
        assert tuple(rx.capsules_per_dose) in check.combinations
        assert 1 <= rx.days_supply <= 30
        length = (rx.window_closes - rx.window_opens).days + 1
        if rx.course.patient.can_get_pregnant:
            assert rx.pregnancy_test.result == "negative"
            assert length == 7
        else:
            assert rx.pregnancy_test_id is None
            assert length == 30


def test_each_prescription_has_at_most_one_live_dispense(generated):
    live = Dispense.objects.filter(reversed_at=None).values("prescription").annotate(n=Count("id"))
    assert live
    assert max(row["n"] for row in live) == 1
    assert Dispense.objects.filter(~Q(reversed_at=None)).exists()


def test_the_copies_written_with_the_rows_are_what_the_services_would_keep(generated):
    """The generator writes each course's latest-visit copy and each prescription's pick-up
    and risk-category copy with the rows; refreshing them the services' way changes nothing."""
    from clinic.monitoring import follow_ups
    from dosing.dispensing import refresh_awaiting_pickup

    def copies():
        courses = TreatmentCourse.objects.order_by("pk").values_list(
            "pk", "last_visit_on", "next_follow_up", "last_weight_kg"
        )
        prescriptions = Prescription.objects.order_by("pk").values_list(
            "pk", "awaiting_pickup", "written_can_get_pregnant"
        )
        return list(courses), list(prescriptions)

    written = copies()
    assert any(row[1] for row in written[0])
    assert {row[1] for row in written[1]} == {True, False}
    assert {row[2] for row in written[1]} == {True, False}
    follow_ups.refresh_all()
    refresh_awaiting_pickup()
    Prescription.objects.update(written_can_get_pregnant=Q(pregnancy_test__isnull=False))
    assert copies() == written


@pytest.mark.django_db(transaction=True)
def test_it_leaves_every_index_and_foreign_key_as_it_found_them():
    """From empty tables and outside a transaction, on PostgreSQL the generator drops their
    foreign keys and non-unique indexes while it COPYs, then makes each again: afterwards the
    catalog holds the same definitions as before (on SQLite nothing is dropped), and a foreign
    key still refuses a row without its parent."""
    from django.db import IntegrityError

    def catalog():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY 1")
                return [row[0] for row in cursor.fetchall()]
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT pg_get_indexdef(indexrelid) FROM pg_index i
                   JOIN pg_class t ON t.oid = i.indrelid
                   WHERE t.relname IN ('registry_patient', 'clinic_visit', 'dosing_dispense')"""
            )
            indexes = sorted(row[0] for row in cursor.fetchall())
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'"
            )
            return indexes, sorted(cursor.fetchall())

    before = catalog()
    assert "patient_name_id_idx" in str(before)
    generate()
    assert Patient.objects.count() == PATIENTS
    assert catalog() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=Visit.objects.first().pk).update(course_id=10**9)


def test_the_same_seed_gives_the_same_patients(generated):
    first = identity()
    delete_generated()
    assert not Patient.objects.exists()
    generate()
    assert identity() == first


def test_it_refuses_a_database_with_patients_unless_appending(generated):
    with pytest.raises(CommandError, match="--append"):
        generate()
    generate(append=True)
    assert Patient.objects.count() == 2 * PATIENTS
    ids = list(Patient.objects.values_list("registry_id", flat=True))
    assert len(set(ids)) == len(ids)
    active = TreatmentCourse.objects.filter(status="active").values("patient")
    assert max(row["n"] for row in active.annotate(n=Count("id"))) == 1


def test_it_refuses_without_debug_on_a_database_not_named_bench(db):
    with pytest.raises(CommandError, match="fake people"):
        call_command("generate_demo_data", patients=5, verbosity=0)
    assert not Patient.objects.exists()


def test_the_progress_line_draws_a_bar_with_the_count_and_time_left():
    stream = io.StringIO()
    show = progress_printer(stream)
    show("patients", 50, 200)
    show("patients", 200, 200)
    first, last = stream.getvalue().splitlines()
    assert first.startswith("patients [" + "#" * 7 + "-" * 23 + "] 50/200 (25%)")
    assert "s left" in first
    assert last.startswith("patients [" + "#" * 30 + "] 200/200 (100%)")
