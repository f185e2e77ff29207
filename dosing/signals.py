"""What dosing tells the apps above it (reminders), which it never imports.

Sent inside the transaction of the change, so a receiver's writes (the reminder outbox rows)
commit or roll back with it. Every path that writes, ends or voids sends them, whoever called
it (a page, a withdrawal, a positive test, a risk category change), so no caller can forget.
"""

from django.dispatch import Signal

# A prescription was written: prescription, by.
prescription_written = Signal()

# A course ended (completed, stopped early, discontinued by a withdrawal or a positive test):
# course, by.
course_ended = Signal()

# A prescription not yet dispensed was voided (replaced, the course ended, the risk category
# changed): prescription, by, reason.
supply_voided = Signal()
