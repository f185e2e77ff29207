"""Floors: the least any Django view costs here, and the least a 50-row page costs.

Both skip the database. The template floor renders a plain 50-row, 6-column table from a Python
list, with no base template, so it prices template rendering alone.
"""

import datetime

from django.http import HttpResponse
from django.shortcuts import render

ROWS = [
    {
        "registry_id": f"RX{index:06d}-K",
        "name": f"Patient {index}",
        "born": datetime.date(2000, 1, 1) + datetime.timedelta(days=index * 37),
        "status": ("active", "completed", "planned")[index % 3],
        "week": index % 20 + 1,
        "prescriber": f"Dr Prescriber {index % 7}",
    }
    for index in range(50)
]


def bare_ok(request):
    return HttpResponse("ok", content_type="text/plain")


def template_floor(request):
    return render(request, "bench/floor_table.html", {"rows": ROWS})
