from tests.url_cases import UrlCase

QUOTE_TITLE = "Devis Azur : standard de la mairie"


def _quote(world):
    """A quote of A's partner, priced with the seed's price list (its type is the seed's Ambassadeur)."""
    from django_scopes import scopes_disabled

    from promos import services
    from tests.promos.factories import seed_programme

    seed_programme(tenant=world.a.tenant, ambassador=world.a.partner_type, operator=world.a.operator_type)
    with scopes_disabled():  # test data, written outside a request
        quote = services.quote_create(
            partner=world.a.partner,
            by=world.a.admin,
            quantities=[("SIP-TOUCH", 1), ("SIP-CANAL", 6)],
            title=QUOTE_TITLE,
        )
    return {"pk": quote.pk}


def _quote_list(world):
    _quote(world)
    return {}


CASES = {
    # The calculator and the list show each partner its own promotions, prices and quotes.
    "promos:quote-calculator": UrlCase(
        other_partner=200, other_tenant=200, marker=lambda w: str(w.a.partner)
    ),
    "promos:quote-list": UrlCase(
        kwargs=_quote_list, other_partner=200, other_tenant=200, marker=lambda w: QUOTE_TITLE
    ),
    "promos:quote-detail": UrlCase(kwargs=_quote),
    "promos:quote-pdf": UrlCase(kwargs=_quote),
}
