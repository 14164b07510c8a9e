from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

from . import navigation


def portal(request):
    """Tenant branding, the signed-in person's membership and the navigation, for every template."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return {}
    match = getattr(request, "resolver_match", None)  # resolved by the handler; not on error pages
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    current = match.view_name if match else ""
    nav = [
        {
            "url": reverse(item.url_name),
            "label": item.label,
            "active": item.url_name == current,
            "name": item.url_name,
            "summary": item.summary,
            "icon": item.icon,
            "area": item.area,
        }
        for item in navigation.items_for(request)
    ]
    return {
        "tenant": tenant,
        "membership": getattr(request, "membership", None),
        "partner": getattr(request, "partner", None),
        "nav_items": nav,
    }
