"""The drill's data, in a process of its own with tasks run eagerly (no broker): migrate, the demo, its
Dstny tenant enlarged with cloned partners (each with an administrator to e-mail). (The static files are
collected meanwhile by another process.) ``python -m partnerportal.drill.prepare <partners>``."""

import sys
import time

import django


def main(partners: int) -> None:
    django.setup()
    from django.core.management import call_command

    from partnerportal.bench.data import bench_tenant_build
    from partnerportal.models import Tenant

    started = time.monotonic()

    def step(what: str) -> None:
        print(f"drill: {what} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    call_command("migrate", "--noinput", verbosity=0)
    step("migrated")
    call_command("load_demo", verbosity=0)
    step("demo loaded")
    bench_tenant_build(tenant=Tenant.objects.get(slug="dstny"), partners=partners)
    step(f"{partners} partners cloned")


if __name__ == "__main__":
    main(int(sys.argv[1]))
