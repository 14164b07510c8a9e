"""``/bench/bare/`` exists only in the server ``bench_pages`` starts (``partnerportal.bench.settings``).

Not a setting read from the environment: no production configuration can turn it on by mistake, and the
portal's URL isolation test, which runs on the project's settings, never sees it.
"""

from django.conf import settings
from django.urls import path

from .views import bare

urlpatterns = (
    [path("bench/bare/", bare, name="bench-bare")] if getattr(settings, "BENCH_BARE_VIEW", False) else []
)
