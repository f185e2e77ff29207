"""The monthly steps of a course read by dosing.monthly_steps.with_steps, for the worklist
section: made from the row's annotations, no query."""

from django import template

from dosing.monthly_steps import steps_of_course

register = template.Library()


@register.filter
def missing_steps(course):
    """The needed steps of this month not done yet (Step rows, in their order)."""
    return [step for step in steps_of_course(course) if step.missing]
