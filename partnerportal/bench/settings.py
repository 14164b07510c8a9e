"""The settings of the server ``bench_pages`` starts: the project's own (read from the environment as usual,
``DJANGO_ENV=production`` there), plus the bare view it measures the home page against (bench/urls.py)."""

from partnerportal.settings import *  # noqa: F403

BENCH_BARE_VIEW = True
