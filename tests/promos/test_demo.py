"""The promotions' demo data (promos/demo.py): both tenants' catalogue and promotions, valid, idempotent."""

import pytest
from django_scopes import scope, scopes_disabled

from partnerportal.demo import demo_load
from promos.demo import PRODUCTS, PROMOTIONS
from promos.models import OrderFlag, Product, ProductPrice, Promotion, PromotionRule, Quote, QuoteLine

MODELS = (Product, ProductPrice, OrderFlag, Promotion, PromotionRule, Quote, QuoteLine)


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo writes tenant logos
    return demo_load()


def snapshot() -> dict:
    with scopes_disabled():
        rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}
        rows["types"] = list(Promotion.partner_types.through.objects.order_by("pk").values())
        return rows


def test_the_demo_catalogue_and_promotions(demo):
    """One test, since loading the demo takes a while: both tenants, valid rules, a second load."""
    with scopes_disabled():
        for slug in ("openip", "dstny"):
            products = Product.objects.filter(tenant__slug=slug)
            promotions = Promotion.objects.filter(tenant__slug=slug)
            assert sorted(products.values_list("code", flat=True)) == sorted(p["code"] for p in PRODUCTS)
            assert promotions.count() == len(PROMOTIONS) == 12
            assert ProductPrice.objects.filter(tenant__slug=slug).count() == sum(
                len(p["prices"]) for p in PRODUCTS
            )
            assert set(
                promotions.get(code="porta-business-ope").partner_types.values_list("code", flat=True)
            ) == {"operateur"}
        prices = dict(
            ProductPrice.objects.filter(tenant__slug="openip", product__code="PORTABILITE").values_list(
                "partner_type__code", "list_price"
            )
        )
        assert {k: str(v) for k, v in prices.items()} == {"ambassadeur": "9.00", "operateur": "5.00"}
        rules = list(PromotionRule.objects.select_related("tenant", "promotion", "unlocked_by", "flag"))

    assert len(rules) == 2 * sum(len(p["rules"]) for p in PROMOTIONS)
    for rule in rules:
        with scope(tenant=rule.tenant_id):
            rule.full_clean()
            rule.promotion.full_clean()
    assert demo["created"]["quote"] > 0

    before = snapshot()
    again = demo_load()

    for model in MODELS:
        name = model._meta.model_name
        assert (again["created"].get(name, 0), again["updated"].get(name, 0)) == (0, 0), name
    assert snapshot() == before
