"""``manage.py products --tenant SLUG``: the tenant's catalogue and list prices as JSON (a contract for
scripts: ``[{"code", "name", "family", "subfamily", "unit", "list_prices": {"<type>": "27.00"}}]``)."""

import json

from django.core.management.base import BaseCommand, CommandError

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope
from promos.selectors import products_json


class Command(BaseCommand):
    help = "Print a tenant's products and list prices per partner type as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. openip.")

    def handle(self, *args, tenant, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant {tenant!r}: check the slug (manage.py shell, Tenant.objects).")
        with tenant_scope(found):
            data = products_json(tenant=found)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
