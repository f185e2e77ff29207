"""The staff worklist: what needs attention today across the clinic, most urgent first, and
each section's own page with all its rows."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.staff import worklist
from clinic.staff.paging import page_of


@role_required(*STAFF_ROLES)
def staff_worklist(request):
    """The first rows of every section, with each section's full count."""
    today = timezone.localdate()
    shown = []
    for section in worklist.sections():
        rows, count = worklist.bounded(section.rows(today))
        shown.append(
            {
                "key": section.key,
                "title": section.title,
                "count": count,
                "rows": rows,
                "template": section.template,
            }
        )
    return render(request, "staff/worklist.html", {"sections": shown, "today": today})


@role_required(*STAFF_ROLES)
def worklist_section(request, key):
    """All of one section's rows, a page at a time; "next" seeks past the last row shown."""
    section = next((s for s in worklist.sections() if s.key == key), None)
    if section is None:
        raise Http404("No such worklist section.")
    today = timezone.localdate()
    links = page_of(request, section.rows(today), section.order, worklist.ALL_PAGE_SIZE)
    context = {
        "section": section,
        "page": links.page,
        "links": links,
        "page_size": worklist.ALL_PAGE_SIZE,
        "today": today,
    }
    return render(request, "staff/worklist_section.html", context)
