import datetime as dt

from django.utils import timezone

from partnerportal.tenancy import tenant_scope
from tests.url_cases import UrlCase

CONTACT = "Gaëlle Azurlead"


def _lead(world, state="accepted"):
    """A lead held by A's partner, with its offer (open for an offered lead)."""
    from leads.models import LeadOffer
    from tests.leads.factories import LeadFactory

    now = timezone.now()
    with tenant_scope(world.a.tenant):
        lead = LeadFactory(
            tenant=world.a.tenant,
            customer="Azur Lead Customer",
            contact_name=CONTACT,
            state=state,
            partner=world.a.partner,
            accepted_at=now if state != "offered" else None,
        )
        LeadOffer.objects.create(
            tenant=world.a.tenant,
            lead=lead,
            partner=world.a.partner,
            state="open" if state == "offered" else "accepted",
            offered_at=now,
            expires_at=now + dt.timedelta(hours=48),
        )
    return lead


def _held(world):
    _lead(world)
    return {}


def _accepted(world):
    return {"pk": _lead(world).pk}


def _offered(world):
    return {"pk": _lead(world, "offered").pk}


CASES = {
    # Every partner has its own leads page; the owner's customer is on no one else's.
    "leads:lead-list": UrlCase(kwargs=_held, other_partner=200, other_tenant=200, marker=lambda w: CONTACT),
    "leads:lead-detail": UrlCase(kwargs=_accepted, marker=lambda w: CONTACT),
    # The sales person accepts first (to the lead's page); the owner's second accept is refused with a
    # message (to the list): both redirect.
    "leads:lead-accept": UrlCase(kwargs=_offered, method="post", owner=302),
    # The sales person declines first: the lead leaves the partner (no other partner takes leads in this
    # world, so it is unrouted), and the owner's decline finds it no more.
    "leads:lead-decline": UrlCase(kwargs=_offered, method="post", member=302, owner=404),
    # Won without the value signed: the form's error, the page again.
    "leads:lead-progress": UrlCase(
        kwargs=_accepted, method="post", owner=400, data={"state": "won", "won_value": ""}
    ),
}
