"""``manage.py quote --tenant SLUG --partner REF [--as-of YYYY-MM-DD] [--flag NAME]... CODE=QTY...``.

Prices a basket for a partner with the promotions it may use on that day and prints JSON: ``{"partner",
"tier", "lines": [{"code", "quantity", "list_unit_price", "unit_price", "total", "promotions": [{"title",
"effect"}]}], "monthly_total", "one_off_total"}``, amounts as strings with two decimals. Nothing is saved.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from partnerportal.management.commands.entitlements import iso_date
from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope
from promos.selectors import MAX_QUANTITY, BasketError, basket_price, pricing_json


def basket_item(value: str) -> tuple[str, int]:
    code, equals, quantity = value.partition("=")
    if not equals or not code:
        raise CommandError(f"{value!r}: write each product as CODE=QUANTITY, e.g. SIP-TOUCH=2.")
    if not (quantity.isascii() and quantity.isdigit()) or not 1 <= int(quantity) <= MAX_QUANTITY:
        raise CommandError(
            f"{value!r}: the quantity of {code} must be a whole number from 1 to {MAX_QUANTITY}."
        )
    return code, int(quantity)


class Command(BaseCommand):
    help = "Price a basket for a partner, with its promotions, and print the quote as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. openip.")
        parser.add_argument("--partner", required=True, help="The partner's reference, e.g. OIP-00001.")
        parser.add_argument("--as-of", help="The day to price on (YYYY-MM-DD); default: today.")
        parser.add_argument(
            "--flag", action="append", default=[], help="An order flag, e.g. migration-vga (repeatable)."
        )
        parser.add_argument("items", nargs="+", metavar="CODE=QTY", help="Products and quantities.")

    def handle(self, *args, tenant, partner, as_of, flag, items, **options):
        basket = [basket_item(item) for item in items]
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant {tenant!r}: check the slug (manage.py shell, Tenant.objects).")
        day = iso_date(as_of) if as_of else None
        with tenant_scope(found):
            partner_obj = (
                Partner.objects.filter(tenant=found, external_ref=partner)
                .select_related("partner_type")
                .first()
            )
            if partner_obj is None:
                raise CommandError(f"No partner {partner!r} in tenant {tenant!r}.")
            try:
                result = basket_price(partner=partner_obj, quantities=basket, flags=flag, as_of=day)
            except BasketError as error:
                raise CommandError(str(error)) from None
            data = pricing_json(result)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
