from tests.url_cases import UrlCase, everyone

CASES = {
    "tiers:status": UrlCase(other_partner=200, other_tenant=200, marker=lambda w: w.a.partner.legal_name),
    "tiers:tier-css": everyone(200),
}
