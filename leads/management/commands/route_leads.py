"""``manage.py route_leads --tenant SLUG [--as-of YYYY-MM-DDTHH:MM]``: the routing pass the beat job runs.

Prints exactly ``leads: offered N, reassigned N, expired N`` (a contract): leads offered for the first
time, leads whose offer lapsed and that went to the next partner, and leads that found no partner (their
offer lapsed with nobody left, or no partner covers them). ``--as-of`` runs the pass as at that moment, in
the tenant's time zone (offers lapse by it, new offers run from it).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope

from ...services import leads_route


def tenant_from_slug(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        known = ", ".join(Tenant.objects.order_by("slug").values_list("slug", flat=True)) or "none"
        raise CommandError(f"Unknown tenant {slug!r} (known: {known}).")
    return tenant


def parse_as_of(value: str | None, tenant: Tenant) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise CommandError(
            f"--as-of {value!r} is not a moment as YYYY-MM-DDTHH:MM (e.g. 2026-11-30T09:00)."
        ) from None
    return moment.replace(tzinfo=ZoneInfo(tenant.timezone))


class Command(BaseCommand):
    help = "Route a tenant's leads: lapse overdue offers and pass those leads on, offer the new leads."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument(
            "--as-of", dest="as_of", help="run as at this moment, YYYY-MM-DDTHH:MM (tenant's time)"
        )

    def handle(self, *args, tenant, as_of, **options):
        tenant = tenant_from_slug(tenant)
        now = parse_as_of(as_of, tenant)
        with tenant_scope(tenant):
            result = leads_route(tenant=tenant, now=now)
        self.stdout.write(result.line())
