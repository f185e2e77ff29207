"""Portal invitations. (Being built.)"""

from django.http import Http404
from django.views.decorators.http import require_POST

from registry.roles import STAFF_ROLES, role_required


@role_required(*STAFF_ROLES)
@require_POST
def send_invitation(request, pk):
    raise Http404


def accept_invitation(request, token):
    raise Http404
