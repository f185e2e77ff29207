"""Spreadsheet import of patients (issue 18, point 2): reading, checking, writing."""
