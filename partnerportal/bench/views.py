"""The yardstick of ``bench_pages``: the cheapest page the portal can serve through its whole middleware stack."""

from django.http import HttpResponse


def bare(request):
    """A few bytes, no query of its own: what every request pays before a view does any work (tenant from the
    host, session, user and membership, language, CSP…), measured on the same server as the home page."""
    return HttpResponse(b"bare", content_type="text/plain")
