"""Form-level refusals: a clinical form posted with errors is a refused action too.

The services record what they refuse (a dose above the ceiling, an uncertified pharmacy); a
form's own checks (an age under 12, an impossible weight) refuse before any service runs, so
the view reports them here and dosing records the row (registry.signals.action_refused).
Registry cannot name dosing's RefusedAction.Kind, so callers pass its value as a string.

The refusal log is a record, kept in English whatever the language of the page that was refused
(the pages show it as it was written): the forms' messages and labels are lazy, so they are
made again here, in English.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.html import strip_tags

from registry.signals import action_refused

# One submitted value kept per field, and no more of it: enough to see what was tried.
VALUE_LIMIT = 100
# A reason is our own message, but some quote the submitted value (an invalid choice).
REASON_LIMIT = 500
# Never kept, whatever the form: secrets are not part of what was tried.
SECRET_NAME_PARTS = ("password", "csrf", "token", "secret", "otp")


def refuse_invalid_form(
    form: forms.BaseForm,
    *,
    kind: str,
    by,
    patient=None,
    course=None,
    formsets: Iterable[forms.BaseFormSet] = (),
) -> None:
    """Send one action_refused for a form (and its formsets) that failed validation."""
    with translation.override(settings.LANGUAGE_CODE):
        reasons = form_reasons(form)
        for formset in formsets:
            reasons += formset_reasons(formset)
    details = submitted_values(form)
    for formset in formsets:
        for row in formset.forms:
            if row.errors:  # the rows that were refused; the others are what the form shows
                details.update(submitted_values(row))
    # Once each: a field's own limit and its model's may say the same thing twice.
    reasons = list(dict.fromkeys(reasons))
    action_refused.send(
        type(form),
        kind=kind,
        by=by,
        reasons=reasons or ["The form was refused."],
        patient=patient,
        course=course,
        details=details,
    )


def form_reasons(form: forms.BaseForm, prefix: str = "") -> list[str]:
    """Each error as "Field label: message"; errors of the whole form as they are."""
    reasons = []
    for name, errors in form.errors.items():
        label = "" if name == forms.forms.NON_FIELD_ERRORS else _label(form, name)
        for message in errors:
            text = f"{label}: {message}" if label else str(message)
            reasons.append(_message(prefix + text))
    return reasons


def formset_reasons(formset: forms.BaseFormSet) -> list[str]:
    reasons = [_message(str(message)) for message in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        # A row names itself when it can (PriorTreatmentRowForm: the treatment's name).
        row_label = getattr(row, "row_label", "") or f"Row {number}"
        reasons += form_reasons(row, prefix=f"{row_label}, ")
    return reasons


def submitted_values(form: forms.BaseForm) -> dict[str, str]:
    """What was typed in each field, as strings, by the field's submitted name.

    Blank fields are left out: the reasons already say which required field was empty. NUL
    characters are dropped (PostgreSQL's JSON refuses them).
    """
    values = {}
    for name, field in form.fields.items():
        if _is_secret(name, field):
            continue
        value = form[name].data
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "yes" if value else ""
        elif value is None:
            value = ""
        text = _truncate(str(value).replace("\x00", ""), VALUE_LIMIT)
        if text.strip():
            values[form.add_prefix(name)] = text
    return values


def _label(form: forms.BaseForm, name: str) -> str:
    if name not in form.fields:
        return name
    return strip_tags(str(form[name].label or name)).strip()


def _is_secret(name: str, field: forms.Field) -> bool:
    return isinstance(field.widget, forms.PasswordInput) or any(
        part in name.lower() for part in SECRET_NAME_PARTS
    )


def _message(text: str) -> str:
    """An error message as plain text, without NUL (PostgreSQL's JSON refuses it).

    Messages may carry markup (a link to the patient an email belongs to): the refusal
    pages escape what they show, so tags would show as text.
    """
    text = html.unescape(strip_tags(text)).replace("\x00", "")
    return _truncate(text, REASON_LIMIT)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
