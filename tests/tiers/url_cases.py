from tests.url_cases import UrlCase

CASES = {
    "tiers:status": UrlCase(other_partner=200, other_tenant=200, marker=lambda w: w.a.partner.legal_name),
    "tiers:tier-css": UrlCase(anonymous=200, other_partner=200, other_tenant=200),
}
