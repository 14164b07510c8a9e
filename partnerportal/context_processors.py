from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

from . import navigation


def portal(request):
    """Tenant branding, the signed-in person's membership and the navigation, for every template."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return {}
    try:
        current = resolve(request.path_info).view_name
    except Resolver404:
        current = ""
    nav = [
        {
            "url": reverse(item.url_name),
            "label": item.label,
            "active": item.url_name == current,
            "name": item.url_name,
            "summary": item.summary,
            "icon": item.icon,
        }
        for item in navigation.items_for(request)
    ]
    return {
        "tenant": tenant,
        "membership": getattr(request, "membership", None),
        "partner": getattr(request, "partner", None),
        "nav_items": nav,
    }
