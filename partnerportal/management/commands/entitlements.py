"""``manage.py entitlements --tenant SLUG --partner REF [--as-of YYYY-MM-DD]``: a partner's benefits and
duties as JSON (the sections come from the apps, see partnerportal.entitlements)."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from partnerportal.entitlements import entitlements_for
from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of {value!r} is not a date: write it YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Print a partner's tier, benefits and duties as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. dstny.")
        parser.add_argument("--partner", required=True, help="The partner's reference, e.g. DST-00001.")
        parser.add_argument("--as-of", help="The day to read them on (YYYY-MM-DD); default: today.")

    def handle(self, *args, tenant, partner, as_of, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant {tenant!r}: check the slug (manage.py shell, Tenant.objects).")
        with tenant_scope(found):
            partner_obj = (
                Partner.objects.filter(tenant=found, external_ref=partner)
                .select_related("partner_type")
                .first()
            )
            if partner_obj is None:
                raise CommandError(f"No partner {partner!r} in tenant {tenant!r}.")
            day = iso_date(as_of) if as_of else found.today()
            data = entitlements_for(partner=partner_obj, as_of=day)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
