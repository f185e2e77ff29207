"""Keyset paging of the long lists (patient list, refused actions, reminder pages): following
"next" to the end shows every row exactly once, in the order the whole list has, for every
sort; "previous" gives back the page before; a cursor that is not ours, or of another sort,
is the first page, never an error; old ?page= links are ignored."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from clinic.reminders.models import Reminder
from clinic.staff.keyset import keyset_page, seek_order
from clinic.staff.views.patients import PAGE_SIZE
from dosing.models import RefusedAction
from registry.models import Patient
from tests.factories import PatientFactory

URL = "/patients/"


@pytest.fixture
def many_patients(prescriber):
    """More than two pages, with runs of equal names, statuses and enrolment times, so the
    order is only total thanks to the id."""
    rng = random.Random(7)
    same_time = timezone.now() - dt.timedelta(days=3)
    patients = []
    for _ in range(2 * PAGE_SIZE + 7):
        patient = PatientFactory(
            prescriber=prescriber,
            last_name=rng.choice(["Rivera", "rivera", "Baker", "Okafor"]),
            first_name=rng.choice(["Ana", "ana", "Ben"]),
            status=rng.choice(list(Patient.Status.values)),
        )
        patients.append(patient)
    # Half the patients enrolled in the same microsecond: a long run of equal keys.
    Patient.objects.filter(pk__in=[p.pk for p in patients[::2]]).update(enrolled_at=same_time)
    return patients


def walk(client, url, params):
    """Every page from the first by the "next" links: (ids per page, the pages' links)."""
    pages, query = [], "&".join(f"{k}={v}" for k, v in params.items())
    while True:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        pages.append(([row.record.pk for row in response.context["table"].rows], response))
        query = response.context["links"].next_query
        if not query:
            return pages


def whole_list(client, url, params, monkeypatch, module):
    """The same list on one page (a page size larger than the list)."""
    monkeypatch.setattr(module, "PAGE_SIZE", 10_000)
    rows = client.get(url, params).context["table"].rows
    monkeypatch.undo()
    return [row.record.pk for row in rows]


SORTS = ["", "name", "-name", "status", "-status", "enrolled_at", "-enrolled_at"]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("search", ["", "rivera"])
def test_next_walks_every_patient_once_in_the_lists_order(
    client, nurse, many_patients, monkeypatch, sort, search
):
    from clinic.staff.views import patients as view

    client.force_login(nurse)
    params = {k: v for k, v in {"sort": sort, "q": search}.items() if v}
    pages = walk(client, URL, params)
    shown = [pk for ids, _response in pages for pk in ids]
    expected = whole_list(client, URL, params, monkeypatch, view)
    assert len(expected) > PAGE_SIZE or search
    assert shown == expected
    assert len(set(shown)) == len(shown)
    assert all(len(ids) == PAGE_SIZE for ids, _response in pages[:-1])
    # "previous" from each page gives the page before it, in the same order.
    for (before_ids, _), (_ids, response) in zip(pages, pages[1:], strict=False):
        back = client.get(f"{URL}?{response.context['links'].previous_query}")
        assert [row.record.pk for row in back.context["table"].rows] == before_ids


def test_the_links_keep_the_search_filters_and_sort(client, nurse, many_patients):
    client.force_login(nurse)
    response = client.get(URL, {"q": "a", "status": "", "sort": "-enrolled_at"})
    next_query = response.context["links"].next_query
    for kept in ("q=a", "sort=-enrolled_at", "after="):
        assert kept in next_query


@pytest.mark.parametrize(
    "cursor",
    ["", "x", "W1sxXV0:bad:sig", "%00", "a" * 5000, "'; drop table registry_patient; --"],
)
def test_a_cursor_that_is_not_ours_is_the_first_page(client, nurse, many_patients, cursor):
    client.force_login(nurse)
    first = [row.record.pk for row in client.get(URL).context["table"].rows]
    for name in ("after", "before"):
        response = client.get(URL, {name: cursor})
        assert response.status_code == 200
        assert [row.record.pk for row in response.context["table"].rows] == first


def test_a_cursor_of_another_sort_is_the_first_page_of_this_one(client, nurse, many_patients):
    client.force_login(nurse)
    by_date = client.get(URL, {"sort": "enrolled_at"}).context["links"].next_query
    cursor = by_date.split("after=")[1]
    first_by_date_desc = client.get(URL, {"sort": "-enrolled_at"}).context["table"].rows
    response = client.get(URL, {"sort": "-enrolled_at", "after": cursor})
    assert [r.record.pk for r in response.context["table"].rows] == [
        r.record.pk for r in first_by_date_desc
    ]


@pytest.mark.parametrize("page", ["2", "99999999999999999999", "-1", "abc", "1e9"])
def test_an_old_page_number_is_ignored(client, nurse, many_patients, page):
    client.force_login(nurse)
    response = client.get(URL, {"page": page})
    assert response.status_code == 200
    assert len(response.context["table"].rows) == PAGE_SIZE


def test_the_refusals_walk_every_row_once_newest_and_oldest_first(client, prescriber, nurse):
    at = timezone.now()
    RefusedAction.objects.bulk_create(
        [RefusedAction(kind="visit", user=nurse, reasons=[f"r{i}"]) for i in range(120)]
    )
    # Runs of equal times: only the id orders them.
    ids = list(RefusedAction.objects.values_list("pk", flat=True))
    RefusedAction.objects.filter(pk__in=ids[::3]).update(at=at)
    client.force_login(prescriber)
    for sort, expected in (("-at", ("-at", "-pk")), ("at", ("at", "pk"))):
        shown = [pk for page, _ in walk(client, "/refusals/", {"sort": sort}) for pk in page]
        assert shown == list(RefusedAction.objects.order_by(*expected).values_list("pk", flat=True))


@pytest.mark.parametrize("descending", [False, True])
def test_a_nullable_order_walks_every_row_once_with_the_empty_ones_last(
    patient_with_reminders, descending
):
    """Reminders not sent yet have no sent_at: they come last whichever the direction, on
    both databases, and paging crosses from the dated rows into them without a gap."""
    order = ("-sent_at", "-pk") if descending else ("sent_at", "pk")
    queryset = Reminder.objects.filter(patient=patient_with_reminders)
    shown, cursor = [], ""
    while True:
        page = keyset_page(queryset, order, cursor, 3)
        shown += page.rows
        cursor = page.next_cursor
        if not cursor:
            break
    dated = sorted((r for r in shown if r.sent_at), key=lambda r: (r.sent_at, r.pk))
    if descending:
        dated.reverse()
    empty = [r for r in shown if r.sent_at is None]
    assert empty
    assert dated
    assert shown == dated + sorted(empty, key=lambda r: r.pk, reverse=descending)
    assert len(shown) == queryset.count()


@pytest.mark.parametrize("descending", [False, True])
def test_previous_walks_a_nullable_order_back_to_the_first_page(patient_with_reminders, descending):
    """From the last page, "previous" after "previous" gives every page again, in order: the
    empty ones (NULLs, last in the list) are met first on the way back."""
    order = ("-sent_at", "-pk") if descending else ("sent_at", "pk")
    queryset = Reminder.objects.filter(patient=patient_with_reminders)
    pages, cursor = [], ""
    while True:
        page = keyset_page(queryset, order, cursor, 3)
        pages.append(page)
        cursor = page.next_cursor
        if not cursor:
            break
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        back = keyset_page(queryset, order, back.previous_cursor, 3, backwards=True)
        assert [r.pk for r in back.rows] == [r.pk for r in expected.rows]
    assert back.previous_cursor == ""


@pytest.fixture
def patient_with_reminders(prescriber):
    patient = PatientFactory(prescriber=prescriber)
    now = timezone.now()
    rows = []
    for i in range(11):
        sent = i % 3 != 0
        rows.append(
            Reminder(
                patient=patient,
                kind=Reminder.Kind.FOLLOW_UP_VISIT,
                recipient=patient.email or "patient@example.org",
                subject_key=f"test-{i}",
                due_at=now + dt.timedelta(days=i),
                due_date=(now + dt.timedelta(days=i)).date(),
                status=Reminder.Status.SENT if sent else Reminder.Status.SCHEDULED,
                sent_at=(now - dt.timedelta(hours=i % 4)) if sent else None,
            )
        )
    Reminder.objects.bulk_create(rows)
    return patient


def test_seek_order_ends_every_order_in_the_primary_key():
    for model, ordering, expected in (
        (RefusedAction, (), ("-at", "-pk")),  # the model's own ordering
        (Patient, ("last_name", "first_name"), ("last_name", "first_name", "pk")),
        (RefusedAction, ("-at",), ("-at", "-pk")),
        (RefusedAction, ("at", "id"), ("at", "pk")),
        (RefusedAction, ("-at", "-pk"), ("-at", "-pk")),
    ):
        _queryset, order = seek_order(model.objects.order_by(*ordering))
        assert order == expected, ordering


def test_seek_order_annotates_expressions_so_a_search_order_pages_too():
    from django.db.models.functions import Lower

    queryset, order = seek_order(Patient.objects.order_by(Lower("last_name").desc(), "pk"))
    assert order == ("-_seek0", "pk")
    assert "_seek0" in queryset.query.annotations


def test_the_pharmacy_list_walks_every_pharmacy_once_by_name(client, nurse):
    """A national registry lists thousands of pharmacies: 50 a page, by name then id."""
    from clinic.staff.views.pharmacies import PAGE_SIZE as PHARMACIES_PAGE
    from registry.models import Pharmacy

    names = ["Apotheke", "Boots", "Chemist", "apotheke"]
    Pharmacy.objects.bulk_create(
        Pharmacy(
            name=names[i % len(names)],
            address="1 High Street",
            phone="+44 20 7946 0100",
            registration_number=f"REG-{i:04d}",
            responsible_pharmacist="P. Nair",
        )
        for i in range(2 * PHARMACIES_PAGE + 3)
    )
    client.force_login(nurse)
    shown, query = [], ""
    while True:
        response = client.get(f"/pharmacies/?{query}")
        page = [s.pharmacy.pk for s in response.context["standings"]]
        assert len(page) <= PHARMACIES_PAGE
        shown += page
        query = response.context["links"].next_query
        if not query:
            break
    assert shown == list(Pharmacy.objects.order_by("name", "pk").values_list("pk", flat=True))
