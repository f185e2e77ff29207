"""The monthly confirmation (R16): two forms of contraception and the comprehension questions;
wrong answers are explained and must be answered again; a passed one lets a prescription be
written that month."""

from django.urls import reverse

from clinic.portal.content import QUESTIONS
from dosing.services import check_monthly_confirmation
from registry.models import MonthlyConfirmation, Patient
from tests.portal.builders import TODAY


def right_answers() -> dict:
    return {q.key: q.correct for q in QUESTIONS}


def a_wrong_choice(question) -> str:
    return next(key for key, _ in question.choices if key != question.correct)


def post(client, answers, methods=("iud", "condom")):
    return client.post(reverse("portal:confirmation"), {"methods": list(methods), **answers})


def test_there_are_at_least_five_questions_on_the_required_subjects():
    keys = {q.key for q in QUESTIONS}
    assert len(QUESTIONS) >= 5
    assert {"pregnancy_risk", "sharing", "blood_donation", "missed_dose", "call_clinic"} <= keys
    for question in QUESTIONS:
        assert question.correct in dict(question.choices)
        assert question.explanation


def test_a_wrong_answer_is_explained_and_must_be_answered_again(client, patient):
    alex = patient.patient
    client.force_login(patient)
    assert check_monthly_confirmation(alex, TODAY)  # not done yet: a prescription is refused

    wrong = QUESTIONS[3]  # blood donation
    answers = right_answers() | {wrong.key: a_wrong_choice(wrong)}
    response = post(client, answers)
    assert response.status_code == 302
    record = MonthlyConfirmation.objects.get(patient=alex)
    assert (record.confirmed_on, record.attempts, record.passed) == (TODAY, 1, False)
    assert record.answers[wrong.key] == a_wrong_choice(wrong)
    assert record.contraception_methods == ["iud", "condom"]
    assert check_monthly_confirmation(alex, TODAY)

    page = client.get(reverse("portal:confirmation")).content.decode()
    assert f'data-testid="explanation-{wrong.key}"' in page
    assert "1 answer needs another look" in page
    for other in QUESTIONS:
        if other is not wrong:
            assert f'data-testid="explanation-{other.key}"' not in page
    # The wrong one is empty again; the right ones and the methods are kept.
    block = page.split(f'data-question="{wrong.key}"')[1].split("</fieldset>")[0]
    assert "checked" not in block
    kept = page.split(f'data-question="{QUESTIONS[0].key}"')[1].split("</fieldset>")[0]
    assert kept.count("checked") == 1
    assert page.count('type="checkbox"') > 2

    response = post(client, right_answers())
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.attempts, record.passed) == (2, True)
    assert MonthlyConfirmation.objects.filter(patient=alex).count() == 1
    assert check_monthly_confirmation(alex, TODAY) == []
    page = client.get(reverse("portal:confirmation")).content.decode()
    assert 'data-testid="confirmation-done"' in page
    assert "Intrauterine device and Male condom" in page
    assert 'data-testid="confirmation-form"' not in page


def test_each_try_is_in_the_audit_history_with_the_patient(client, patient):
    client.force_login(patient)
    post(client, right_answers() | {"sharing": "a"})
    post(client, right_answers())
    rows = MonthlyConfirmation.history.filter(patient_id=patient.patient.pk).order_by("history_id")
    assert [(r.attempts, r.passed) for r in rows] == [(1, False), (2, True)]
    assert {r.history_user_id for r in rows} == {patient.pk}


def test_a_passed_confirmation_is_not_undone_by_another_post(client, patient):
    client.force_login(patient)
    post(client, right_answers())
    post(client, right_answers() | {"sharing": "a"})
    record = MonthlyConfirmation.objects.get()
    assert (record.attempts, record.passed) == (1, True)


def test_two_forms_of_contraception_are_needed(client, patient):
    client.force_login(patient)
    response = post(client, right_answers(), methods=["pill"])
    assert response.status_code == 200
    assert "Choose at least two" in response.content.decode()
    assert not MonthlyConfirmation.objects.exists()


def test_every_question_must_be_answered(client, patient):
    client.force_login(patient)
    answers = right_answers()
    del answers["missed_dose"]
    response = post(client, answers)
    assert response.status_code == 200
    assert "Choose an answer." in response.content.decode()
    assert not MonthlyConfirmation.objects.exists()


def test_a_patient_who_cannot_get_pregnant_is_told_it_is_not_needed(client, patient):
    alex = patient.patient
    alex.risk_category = Patient.RiskCategory.CANNOT_GET_PREGNANT
    alex.save()
    client.force_login(patient)
    page = client.get(reverse("portal:confirmation")).content.decode()
    assert 'data-testid="confirmation-not-needed"' in page
    post(client, right_answers())
    assert not MonthlyConfirmation.objects.exists()


def test_staff_see_the_result_in_the_summary_snippet(patient, client):
    from django.template.loader import render_to_string

    client.force_login(patient)
    post(client, right_answers() | {"sharing": "a"})
    post(client, right_answers())
    html = render_to_string("portal/_confirmation_summary.html", {"patient": patient.patient})
    assert "passed</strong> after 2 tries" in html
    assert "Intrauterine device, Male condom" in html
