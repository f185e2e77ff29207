from django.conf import settings

from clinic.accounts.navigation import frame_urls, nav_html_for
from clinic.accounts.roles import can_acknowledge
from clinic.accounts.two_factor import requires_second_factor


def frame(request):
    """What base.html needs on every page: the site name, version, its links and the user's
    places."""
    user = getattr(request, "user", None)
    uses_second_factor = requires_second_factor(user)
    verified = getattr(user, "is_verified", lambda: False)()
    # Until the second factor is passed, no place would open: show none.
    pending = uses_second_factor and not verified
    shows_places = user is not None and not pending
    return {
        "brand_name": settings.SITE_NAME,
        "app_version": settings.APP_VERSION,
        # The links and the places' HTML are made once per set of roles and kept
        # (navigation.py): no reverse() per page.
        "frame_urls": frame_urls(),
        "nav_html": nav_html_for(user, request.path) if shows_places else "",
        "second_factor_pending": pending,
        "shows_two_factor_link": uses_second_factor and verified,
        # Flag lists (worklist, course page, patient page) offer Acknowledge only to those who
        # may; here once per page rather than in each view that lists flags.
        "can_acknowledge": shows_places and can_acknowledge(user),
    }
