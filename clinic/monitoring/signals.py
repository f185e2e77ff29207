"""What monitoring tells the apps above it (reminders), which it never imports.

Sent inside the transaction of the change, so a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# A visit was recorded (its next follow-up may have changed): visit, by.
visit_recorded = Signal()

# An appointment was booked, cancelled, moved or marked (its reminders follow): appointment, by.
appointment_changed = Signal()
