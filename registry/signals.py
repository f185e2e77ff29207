"""What the registry tells the apps above it (dosing, clinic), which it never imports.

Sent inside the transaction of the change, so a receiver's writes (voiding prescriptions,
ending a course, recording a refusal) commit or roll back with it.
"""

from django.dispatch import Signal

# A patient's registry status changed: patient, old, new, reason, by.
patient_status_changed = Signal()

# The prescriber changed the risk category (R12): patient, old, new, by.
risk_category_changed = Signal()

# A clinical action was refused before any service ran (a form's own checks): kind (a
# dosing.models.RefusedAction.Kind value), by, reasons (list of str), patient (or None),
# course (or None), details (dict). dosing records one RefusedAction row for each.
action_refused = Signal()
