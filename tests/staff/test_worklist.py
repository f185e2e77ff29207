"""The staff worklist: open flags by urgency, planned and overdue visits, closing windows,
failed reminders; acknowledging flags; a constant number of queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.monitoring.flagging import raise_flags
from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from clinic.staff import worklist
from clinic.staff.worklist import ROW_LIMIT
from dosing import dispensing, services
from tests.course_fixtures import TODAY, days_ago
from tests.factories import PatientFactory


def add_visit(course, nurse, *, nodules=10, on=None, follow_up=None, phq=(0, 0)):
    return Visit.objects.create(
        patient=course.patient,
        course=course,
        visit_date=on or days_ago(1),
        weight_kg=70,
        nodule_count=nodules,
        phq2_interest=phq[0],
        phq2_mood=phq[1],
        recorded_by=nurse,
        next_follow_up=follow_up or TODAY + datetime.timedelta(days=3),
    )


def section(response, key):
    return next(s for s in response.context["sections"] if s["key"] == key)


def test_open_flags_are_listed_most_urgent_first(client, nurse, male_patient, start_course):
    course = start_course(male_patient, start_date=days_ago(150), nodules=20)
    add_visit(course, nurse, nodules=2, phq=(3, 1))
    raise_flags()
    client.force_login(nurse)
    response = client.get(reverse("staff:worklist"))
    flags = section(response, "flags")
    kinds = [flag.kind for flag in flags["rows"]]
    assert kinds[0] == FlagKind.MOOD_SCREEN
    assert kinds.index(FlagKind.REACHED_20_WEEKS) < kinds.index(FlagKind.APPROACHING_20_WEEKS)
    assert flags["count"] == 4
    assert 'data-testid="count-flags">4<' in response.content.decode()


def test_planned_overdue_and_closing_lists(
    client, nurse, male_patient, prescriber, start_course, prescribe
):
    course = start_course(male_patient, start_date=days_ago(40))
    add_visit(course, nurse, on=days_ago(20), follow_up=TODAY)
    other = start_course(
        PatientFactory(
            prescriber=prescriber,
            consent_treatment_on=days_ago(9),
            risk_category="cannot_get_pregnant",
        ),
        start_date=days_ago(40),
    )
    add_visit(other, nurse, on=days_ago(35), follow_up=days_ago(3))
    prescribe(course, on=days_ago(28))  # a 30-day window closing tomorrow
    client.force_login(nurse)
    response = client.get(reverse("staff:worklist"))
    assert section(response, "today")["count"] == 1
    assert section(response, "week")["count"] == 1
    assert section(response, "overdue")["count"] == 1
    assert section(response, "windows")["count"] == 1


def test_closing_windows_list_only_what_is_still_to_be_picked_up(
    client, nurse, male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    """A replaced (voided) prescription is not waiting at any pharmacy, nor is a dispensed
    one; a reversed dispense puts it back on the list."""
    course = start_course(male_patient, start_date=days_ago(40))
    first = prescribe(course, on=days_ago(28))  # window closes tomorrow
    second = prescribe(course, mg=40, on=days_ago(27))  # replaces it: closes in 2 days
    first.refresh_from_db()
    assert first.is_voided
    client.force_login(nurse)

    def listed():
        return [rx.pk for rx in section(client.get(reverse("staff:worklist")), "windows")["rows"]]

    assert listed() == [second.pk]
    pharmacy = make_pharmacy()
    dispense = services.authorize_dispense(second, pharmacy=pharmacy, by=pharmacist)
    assert listed() == []
    dispensing.reverse_dispense(dispense, by=pharmacist, pharmacy=pharmacy, reason="Not picked up.")
    assert listed() == [second.pk]


def test_a_prescriber_acknowledges_a_flag_with_the_action_taken(
    client, prescriber, male_patient, start_course
):
    course = start_course(male_patient, start_date=days_ago(150))
    raise_flags()
    flag = CourseFlag.objects.get(course=course, kind=FlagKind.REACHED_20_WEEKS)
    client.force_login(prescriber)
    url = reverse("staff:flag-acknowledge", args=[flag.pk])
    refused = client.post(url, {"action": "other", "action_text": ""})
    assert "Say what was done" in refused.content.decode()
    response = client.post(url, {"action": "stop"})
    assert (
        response.url == reverse("staff:course-end", args=[course.pk]) + "?status=stopped_20_weeks"
    )
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.action) == (prescriber, "stop")
    assert flag.history.first().history_user == prescriber
    assert client.get(url).status_code == 404  # acknowledged once


def test_a_nurse_cannot_acknowledge(client, nurse, male_patient, start_course):
    course = start_course(male_patient, start_date=days_ago(150))
    raise_flags()
    flag = CourseFlag.objects.filter(course=course).first()
    client.force_login(nurse)
    assert (
        client.post(
            reverse("staff:flag-acknowledge", args=[flag.pk]), {"action": "continue"}
        ).status_code
        == 404
    )


def test_only_a_prescriber_is_offered_acknowledge(
    client, nurse, prescriber, male_patient, start_course
):
    """A nurse sees the open flags read-only (the acknowledge page would be a 404 for them)."""
    course = start_course(male_patient, start_date=days_ago(150))
    raise_flags()
    flag = CourseFlag.objects.filter(course=course).first()
    link = reverse("staff:flag-acknowledge", args=[flag.pk])
    pages = [reverse("staff:worklist"), course.get_absolute_url()]
    for user, offered in [(nurse, False), (prescriber, True)]:
        client.force_login(user)
        for url in pages:
            html = client.get(url).content.decode()
            assert flag.get_kind_display() in html
            assert (link in html, ">Acknowledge</a>" in html) == (offered, offered), (user, url)
            assert ("for a prescriber" in html.lower()) is not offered


def flagged_courses(count, *, prescriber, nurse, start_course):
    """`count` courses at day 150 with a 95% fall in nodules: three open flags each."""
    for _ in range(count):
        patient = PatientFactory(
            prescriber=prescriber,
            consent_treatment_on=days_ago(9),
            risk_category="cannot_get_pregnant",
        )
        course = start_course(patient, start_date=days_ago(150), nodules=20)
        add_visit(course, nurse, nodules=1, follow_up=TODAY)
    raise_flags()


def test_the_worklist_query_count_does_not_grow(client, nurse, prescriber, start_course):
    def make(count):
        flagged_courses(count, prescriber=prescriber, nurse=nurse, start_course=start_course)

    client.force_login(nurse)
    make(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("staff:worklist"))
    make(1)  # 9 flags: more rows, still under ROW_LIMIT (past it one COUNT is added)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("staff:worklist"))
    assert section(response, "flags")["count"] == 3 * 3 < ROW_LIMIT
    assert len(few) == len(many)


def test_a_long_section_shows_the_first_rows_and_says_how_many_there_are(
    client, nurse, prescriber, start_course
):
    # Three flags each: more than ROW_LIMIT in all.
    flagged_courses(
        ROW_LIMIT // 3 + 1, prescriber=prescriber, nurse=nurse, start_course=start_course
    )
    client.force_login(nurse)
    response = client.get(reverse("staff:worklist"))
    flags = section(response, "flags")
    total = (ROW_LIMIT // 3 + 1) * 3
    assert flags["count"] == total
    assert len(flags["rows"]) == ROW_LIMIT
    assert (
        f"Showing the first {ROW_LIMIT} of {total}, most urgent first." in response.content.decode()
    )


def test_a_sections_own_page_shows_every_row_once_across_its_pages(
    client, nurse, prescriber, start_course, monkeypatch
):
    """The "show all" page seeks past the last row shown (keyset), so the pages together are
    the whole section, in the worklist's order, each row once."""
    flagged_courses(7, prescriber=prescriber, nurse=nurse, start_course=start_course)  # 21
    monkeypatch.setattr(worklist, "ALL_PAGE_SIZE", 8)
    client.force_login(nurse)
    worklist_page = client.get(reverse("staff:worklist"))
    assert section(worklist_page, "flags")["count"] == 21
    section_url = reverse("staff:worklist-section", args=["flags"])
    assert section_url in worklist_page.content.decode()
    expected = list(
        CourseFlag.objects.filter(acknowledged_at=None)
        .order_by("urgency", "raised_at", "pk")
        .values_list("pk", flat=True)
    )
    seen, pages, query = [], 0, {}
    while True:
        page = client.get(section_url, query).context["page"]
        seen += [flag.pk for flag in page.rows]
        pages += 1
        if not page.next_cursor:
            break
        query = {"after": page.next_cursor}
    assert seen == expected
    assert pages == 3  # 8 + 8 + 5
    # And back: "previous" from the last page gives the pages before it, in the same order.
    back = client.get(section_url, {"before": page.previous_cursor}).context["page"]
    assert [flag.pk for flag in back.rows] == expected[8:16]
    first = client.get(section_url, {"before": back.previous_cursor}).context["page"]
    assert [flag.pk for flag in first.rows] == expected[:8]
    assert first.previous_cursor == ""


def test_a_tampered_cursor_is_the_first_page_and_an_unknown_section_is_404(
    client, nurse, prescriber, start_course
):
    flagged_courses(1, prescriber=prescriber, nurse=nurse, start_course=start_course)
    client.force_login(nurse)
    url = reverse("staff:worklist-section", args=["flags"])
    first = client.get(url).context["page"].rows
    for cursor in ("x", "W1sxXV0:bad:sig", "%00", "a" * 5000):
        response = client.get(url, {"after": cursor})
        assert response.status_code == 200
        assert response.context["page"].rows == first
    assert client.get(reverse("staff:worklist-section", args=["nothing"])).status_code == 404
