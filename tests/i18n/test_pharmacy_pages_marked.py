"""Every word a pharmacist (or staff dispensing for a pharmacy) reads on the dispensing pages is
marked for translation, the dosing decision's refusal reasons included (issue 19 point 3).

The pages are rendered in the pseudo-language of tests/i18n/pseudo.py: a word outside ⟦ ⟧,
other than the records' own data (names, IDs, authorization numbers), was never marked. A
refusal is said in the reader's language on the page but stored in English (RefusedAction,
the audit trail and its exports), and the two catalogues behind the pages are complete.
"""

from __future__ import annotations

import copy
import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from dosing import services
from dosing.models import Dispense, Prescription, RefusedAction
from dosing.text import Text
from dosing.wording import say
from registry.models import MonthlyConfirmation, Pharmacist, PregnancyTest
from tests.course_fixtures import days_ago
from tests.i18n.pseudo import assert_all_marked, marked_translations, unmarked_in_html

MONTHS = [
    *("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"),
    *("septiembre", "octubre", "noviembre", "diciembre"),
]


@pytest.fixture
def pharmacy(pharmacist, make_pharmacy):
    pharmacy = make_pharmacy("Riverside Pharmacy")
    Pharmacist.objects.create(user=pharmacist, pharmacy=pharmacy)
    return pharmacy


@pytest.fixture
def refused_rx(female_patient, record_test, start_course, prescribe):
    """A prescription whose pick-up window closed two weeks ago, for a patient whose last
    negative pregnancy test is 25 days old and whose monthly confirmation is not done: three
    reasons, with dates and counts, when a pharmacy asks to dispense it today."""
    record_test(female_patient, 30)
    test = record_test(female_patient, 2)
    rx = prescribe(start_course(female_patient))
    Prescription.objects.filter(pk=rx.pk).update(
        window_opens=days_ago(20), window_closes=days_ago(14)
    )
    PregnancyTest.objects.filter(pk=test.pk).update(specimen_date=days_ago(25))
    MonthlyConfirmation.objects.filter(patient=female_patient).delete()
    return Prescription.objects.get(pk=rx.pk)


@pytest.fixture
def dispensed_rx(male_patient, start_course, prescribe, pharmacy, pharmacist):
    """Another patient's prescription this pharmacy dispensed: a row of the recent list."""
    rx = prescribe(start_course(male_patient))
    services.authorize_dispense(rx, pharmacy=pharmacy, by=pharmacist)
    return rx


@pytest.fixture
def spanish(client):
    """A browser that asks for Spanish: staff and pharmacists read the language it asks for."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    return client


def data_of(*users, prescriptions=(), pharmacies=()) -> tuple[str, ...]:
    """Records' own words: never translated."""
    values = []
    for user in users:
        values += [user.get_username(), user.get_full_name(), user.first_name, user.last_name]
    for rx in prescriptions:
        record = rx.course.patient
        values += [record.full_name, record.first_name, record.last_name, record.registry_id]
    for pharmacy in pharmacies:
        values += [str(pharmacy), pharmacy.name, pharmacy.registration_number]
        values.append(pharmacy.certification.number)
    values += list(Dispense.objects.values_list("authorization_number", flat=True))
    return tuple(values)


def mistyped(registry_id: str) -> str:
    """The ID with another check character: not a valid registry ID."""
    return registry_id[:-1] + ("0" if registry_id[-1] != "0" else "1")


def lookup(client, rx, **extra):
    params = {"registry_id": rx.course.patient.registry_id, "prescription": rx.pk, **extra}
    return client.get(reverse("pharmacy:home"), params)


def test_the_pharmacists_pages_and_a_refusal_are_marked(
    spanish, client, monkeypatch, pharmacist, pharmacy, refused_rx, dispensed_rx
):
    client.force_login(pharmacist)
    pages = {}
    with marked_translations(monkeypatch):
        pages["home"] = client.get(reverse("pharmacy:home"))
        pages["refused look-up"] = lookup(client, refused_rx)
        pages["dispensed look-up"] = lookup(client, dispensed_rx)
        typo = mistyped(refused_rx.course.patient.registry_id)
        pages["mistyped ID"] = client.get(reverse("pharmacy:home"), {"registry_id": typo})
        pages["unknown ID"] = client.get(reverse("pharmacy:home"), {"registry_id": "x"})
        pages["refused authorization"] = client.post(
            reverse("pharmacy:dispense", args=[refused_rx.pk]),
            {"registry_id": refused_rx.course.patient.registry_id},
            follow=True,
        )
        dispense = Dispense.objects.get(prescription=dispensed_rx)
        reverse_url = reverse("pharmacy:reverse", args=[dispense.pk])
        pages["reversed"] = client.post(reverse_url, {"reason": "Not picked up"}, follow=True)
        pages["not reversed"] = client.post(reverse_url, {"reason": "again"}, follow=True)
        pages["authorized"] = client.post(
            reverse("pharmacy:dispense", args=[dispensed_rx.pk]),
            {"registry_id": dispensed_rx.course.patient.registry_id},
            follow=True,
        )
    assert "blockers" in pages["refused look-up"].content.decode()
    data = data_of(pharmacist, prescriptions=[refused_rx, dispensed_rx], pharmacies=[pharmacy])
    data += (typo, "Not picked up", "again")  # what the pharmacist typed
    assert_all_marked(
        {name: unmarked_in_html(page.content.decode(), data) for name, page in pages.items()}
    )


def test_a_pharmacy_that_may_not_dispense_and_an_unlinked_account_are_marked(
    spanish, client, monkeypatch, pharmacist, make_pharmacy, registry_admin, refused_rx
):
    from clinic.accounts.roles import Role
    from tests.factories import UserFactory

    suspended = make_pharmacy("Hilltop Pharmacy", status="suspended")
    Pharmacist.objects.create(user=pharmacist, pharmacy=suspended)
    unlinked = UserFactory(username="pharm.new", roles=[Role.PHARMACIST])
    with marked_translations(monkeypatch):
        client.force_login(pharmacist)
        suspended_page = lookup(client, refused_rx)
        client.force_login(unlinked)
        unlinked_page = client.get(reverse("pharmacy:home"))
    data = data_of(pharmacist, unlinked, pharmacies=[suspended])
    assert_all_marked(
        {
            "suspended": unmarked_in_html(suspended_page.content.decode(), data),
            "not linked": unmarked_in_html(unlinked_page.content.decode(), data),
        }
    )


def test_staff_dispensing_for_a_pharmacy_is_marked(
    spanish, client, monkeypatch, nurse, make_pharmacy, refused_rx
):
    pharmacy = make_pharmacy("Riverside Pharmacy")
    client.force_login(nurse)
    with marked_translations(monkeypatch):
        empty = client.get(reverse("pharmacy:staff-dispense"))
        refused = client.get(
            reverse("pharmacy:staff-dispense"),
            {"pharmacy": pharmacy.pk, "registry_id": refused_rx.course.patient.registry_id},
        )
        posted = client.post(
            reverse("pharmacy:staff-dispense-authorize", args=[refused_rx.pk]),
            {"pharmacy": pharmacy.pk},
            follow=True,
        )
    assert "blockers" in refused.content.decode()
    data = data_of(nurse, prescriptions=[refused_rx], pharmacies=[pharmacy])
    assert_all_marked(
        {
            "empty": unmarked_in_html(empty.content.decode(), data),
            "refused": unmarked_in_html(refused.content.decode(), data),
            "posted": unmarked_in_html(posted.content.decode(), data),
        }
    )


def test_a_refusal_is_spanish_on_the_page_and_english_in_the_record(
    client, pharmacist, pharmacy, refused_rx
):
    client.force_login(pharmacist)
    closed = refused_rx.window_closes
    page = client.get(
        reverse("pharmacy:home"),
        {"registry_id": refused_rx.course.patient.registry_id, "prescription": refused_rx.pk},
        HTTP_ACCEPT_LANGUAGE="es",
    ).content.decode()
    closed_es = f"{closed.day} de {MONTHS[closed.month - 1]} de {closed.year}"
    assert "no puede dispensar esta receta hoy:" in page
    assert f"Día 21 de un plazo de recogida de 7 días: se cerró el {closed_es}." in page
    assert "La última prueba de embarazo negativa fue hace 25 días" in page
    assert "Day 21 of a" not in page

    response = client.post(
        reverse("pharmacy:dispense", args=[refused_rx.pk]),
        {"registry_id": refused_rx.course.patient.registry_id},
        HTTP_ACCEPT_LANGUAGE="es",
        follow=True,
    )
    assert "No autorizada: " in response.content.decode()
    stored = RefusedAction.objects.get(kind="dispense", prescription=refused_rx).reasons
    assert any(
        r.startswith("Day 21 of a 7-day pick-up window: it closed on ")
        and r.endswith(f"{closed:%-d %b %Y}. A new prescription is needed (R14, R15).")
        for r in stored
    ), stored
    assert any("The last negative pregnancy test was 25 days ago" in r for r in stored), stored
    assert all(type(r) is str for r in stored)


def test_a_mistyped_id_is_spanish_next_to_the_field_and_english_in_the_record(
    client, pharmacist, pharmacy, refused_rx
):
    client.force_login(pharmacist)
    typo = mistyped(refused_rx.course.patient.registry_id)
    page = client.get(
        reverse("pharmacy:home"), {"registry_id": typo}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Ese no es un ID de registro válido" in page
    assert RefusedAction.objects.get().reasons == [
        "That is not a valid registry ID: the check character does not match. Ask the clinic "
        "to read it again."
    ]


def test_a_reason_is_english_as_a_string_and_in_the_readers_language_on_a_page():
    reason = Text("The pick-up window opens on %(day)s.", day=datetime.date(2026, 12, 6))
    assert reason == "The pick-up window opens on 6 Dec 2026."
    assert copy.deepcopy(reason).params == reason.params
    with translation.override("es"):
        assert reason == "The pick-up window opens on 6 Dec 2026."  # what is stored
        assert say(reason) == "El plazo de recogida se abre el 6 de diciembre de 2026."
        assert say("Typed by a pharmacist") == "Typed by a pharmacist"
        assert say(services.R18_REASON).startswith("Prueba de embarazo positiva")
    with translation.override("en-gb"):
        assert say(reason) == "The pick-up window opens on 6 Dec 2026."

