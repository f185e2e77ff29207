"""Floors: what the cheapest pages cost here, measured beside the real ones.

- bare view: "ok", no template, no database (the cost of Django and its middleware);
- template floor: a plain 50-row, 6-column table from a Python list, no base template and no
  database (template rendering alone);
- frame floor: an empty page in the signed-in frame (base.html with the role's navigation),
  for a signed-in user: session and user read, session written at most once a minute (idle
  timeout). Every staff and portal page pays this before its own work.
"""

import datetime

from django.contrib.auth.decorators import login_required
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


@login_required
def frame_floor(request):
    return render(request, "bench/floor_frame.html")
