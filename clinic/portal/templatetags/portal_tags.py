"""Template filters for portal records shown to staff (the monthly confirmation summary)."""

from django import template

from clinic.monitoring.models.visits import Contraception

register = template.Library()

RECENT = 3


@register.filter
def contraception_labels(codes) -> list[str]:
    labels = dict(Contraception.choices)
    return [str(labels.get(code, code)) for code in codes or ()]


@register.filter
def recent_confirmations(patient):
    """The patient's last three monthly confirmations, newest first (one query)."""
    return list(patient.monthly_confirmations.order_by("-confirmed_on", "-pk")[:RECENT])
