from tests.url_cases import UrlCase


def _member(world):
    return {"pk": world.a.sales_membership.pk}


def _invitation(world):
    from tests.partnerportal.factories import InvitationFactory

    invitation = InvitationFactory(partner=world.a.partner, tenant=world.a.tenant, invited_by=world.a.admin)
    return {"pk": invitation.pk}


def _partner_name(world):
    return world.a.partner.legal_name


CASES = {
    "partnerportal:home": UrlCase(other_partner=200, other_tenant=200, marker=_partner_name),
    "partnerportal:team": UrlCase(other_partner=200, other_tenant=200, marker=lambda w: w.a.sales.email),
    "partnerportal:company": UrlCase(other_partner=200, other_tenant=200, marker=_partner_name),
    # An empty invitation form is refused (400) and shown again, to anyone about their own team.
    "partnerportal:invitation-create": UrlCase(method="post", other_partner=400, other_tenant=400, owner=400),
    "partnerportal:invitation-revoke": UrlCase(kwargs=_invitation, method="post", owner=302),
    "partnerportal:membership-update": UrlCase(
        kwargs=_member, method="post", data={"role": "technical"}, owner=302
    ),
    "partnerportal:membership-delete": UrlCase(kwargs=_member),
    # Reached from the e-mail by people without an account: public, and a bad token is a 404 for anyone.
    "partnerportal:invitation-accept": UrlCase(
        kwargs=lambda world: {"token": "not-a-token"},
        owner=404,
        anonymous=404,
        other_partner=404,
        other_tenant=404,
    ),
    "partnerportal:branding-css": UrlCase(anonymous=200, other_partner=200, other_tenant=200),
}
