"""``make load``: locust's simulated partners and managers against the stack (``make stack``'s Procfile lines)
on 127.0.0.1, with the demo's Dstny enlarged to 50,000 partners by bench_pages' builder (bench/data.py).

run.py drives it (data, stack, locust, figures); locustfile.py is the scenario; summary.py and forms.py are
the pure parts.
"""
