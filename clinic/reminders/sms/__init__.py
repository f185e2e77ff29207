"""Text-message reminders (issue 19; docs/SMS.md): a pluggable sender (base.py), one adapter
for an HTTP provider in the shape of Twilio's Messages API (twilio.py), and the texts
(texts.py: one short GSM-7 text per kind, at most 160 characters, no health details)."""
