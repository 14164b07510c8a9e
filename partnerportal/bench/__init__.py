"""``manage.py bench_pages``: a tenant of 50,000 partners (data), served by gunicorn and loaded by wrk (serve),
and the bare view it is measured against (views)."""
