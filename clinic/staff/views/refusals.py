"""The refused actions page: who tried what, for which patient, and why it was refused.

Prescribers and registry admins read it (issue 13): prescribers to see what their colleagues'
forms and the safety rules stopped, registry admins as part of the audit trail.
"""

from django.views.decorators.http import require_GET

from clinic.accounts.roles import STAFF_ROLES, Role, has_role, role_required
from clinic.staff.access_log import log_export
from clinic.staff.paging import filtered_list
from clinic.staff.tables.refusals import RefusalFilter, RefusalTable
from dosing.models import RefusedAction

PAGE_SIZE = 50
REFUSAL_READERS = (Role.PRESCRIBER, Role.REGISTRY_ADMIN)


@role_required(*REFUSAL_READERS)
@require_GET
def refusals(request):
    queryset = RefusedAction.objects.select_related("user", "patient", "pharmacy", "course")
    refusal_filter = RefusalFilter(request.GET, queryset=queryset)
    # A registry ID with a wrong check character shows its message and no rows, rather than
    # every refusal as if nothing had been asked (as the patient list does).
    rows = refusal_filter.qs if refusal_filter.is_valid() else queryset.none()
    table = RefusalTable(rows, link_patients=has_role(request.user, *STAFF_ROLES))
    # No COUNT of a table that only grows: the pages say "next" while there are more rows.
    response = filtered_list(
        request,
        "staff/refusals.html",
        table,
        refusal_filter,
        filename="refused-actions.csv",
        size=PAGE_SIZE,
    )
    log_export(request, response, "Refused actions export")
    return response
