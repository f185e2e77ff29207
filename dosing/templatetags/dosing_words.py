"""`{{ reason|say }}`: a dosing sentence (a refusal reason, a warning, a step's label) in the
reader's language; stored text and records' data as they are (dosing.wording)."""

from django import template

from dosing.wording import say as _say

register = template.Library()


@register.filter
def say(text):
    return _say(text)
