from django.conf import settings

import clinic
from clinic.navigation import nav_items_for


def frame(request):
    """What base.html needs on every page: the site name, version and the user's places."""
    user = getattr(request, "user", None)
    return {
        "brand_name": settings.SITE_NAME,
        "app_version": clinic.__version__,
        "nav_items": nav_items_for(user) if user is not None else [],
    }
