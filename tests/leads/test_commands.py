"""``route_leads``: the routing pass's line (a contract) and clear errors naming the bad value."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leads.models import Lead, LeadOffer
from partnerportal.tenancy import tenant_scope

from .factories import LeadFactory


def run(*args) -> str:
    out = StringIO()
    call_command("route_leads", *args, stdout=out)
    return out.getvalue()


def test_the_line_and_as_of(world, prog, settings):
    settings.LEAD_ACCEPT_HOURS = 24
    with tenant_scope(world.a.tenant):
        lead = LeadFactory(tenant=world.a.tenant, postal_code="35000")
        LeadFactory(tenant=world.a.tenant, postal_code="13002")
    assert (
        run("--tenant", "alpha", "--as-of", "2026-11-02T09:00")
        == "leads: offered 1, reassigned 0, expired 1\n"
    )
    offer = LeadOffer.objects.with_scopes_disabled().get(lead=lead)
    assert offer.offered_at == dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert (
        run("--tenant", "alpha", "--as-of", "2026-11-03T09:00")
        == "leads: offered 0, reassigned 0, expired 1\n"
    )
    assert Lead.objects.with_scopes_disabled().get(pk=lead.pk).state == Lead.State.UNROUTED


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--tenant", "nope"], "'nope'"),
        (["--tenant", "alpha", "--as-of", "2026-02-30T09:00"], "'2026-02-30T09:00'"),
        (["--tenant", "alpha", "--as-of", "tomorrow"], "'tomorrow'"),
    ],
)
def test_bad_arguments_name_the_value(world, args, named):
    with pytest.raises(CommandError, match=named):
        run(*args)
