"""Printouts as PDF (issue 17 point 6): the prescription, the referral letter after a positive
pregnancy test (R18) and the visit summary.

Each is an HTML template under templates/staff/printouts/ drawn by weasyprint with the print
stylesheet static/css/printout.css (A4, DejaVu Sans). rendering.py turns a template into a PDF
response and lets weasyprint read nothing but our own static files; documents.py gathers what
each printout says.
"""
