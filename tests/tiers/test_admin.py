"""The back-office pages of the tiers app (tiers/admin.py): revenue upload and the evaluation preview."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.tiers.factories import RevenueEntryFactory, add_revenue
from tests.tiers.helpers import JULY_2026, evaluate, evaluation_of, snapshot
from tiers.models import Evaluation, RevenueEntry, RevenueImport, Tier

IMPORT = reverse("admin:tiers_revenueentry_import")
LEDGER = reverse("admin:tiers_revenueentry_changelist")
PREVIEW = reverse("admin:tiers_evaluation_preview")
EVALUATIONS = reverse("admin:tiers_evaluation_changelist")
TODAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # "if we evaluated today": May–October 2026


def ledger() -> list[tuple]:
    with scopes_disabled():
        return sorted(
            RevenueEntry.objects.values_list("tenant__slug", "partner__external_ref", "month", "amount")
        )


def upload(client, text: str, *, name: str = "revenue.csv", host: str | None = None):
    extra = {"HTTP_HOST": host} if host else {}
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(IMPORT, {"file": file}, **extra)


@pytest.fixture
def manager_a(world, programmes, client_for):
    return client_for(world.a.tenant, world.a.manager)


# --- revenue upload ----------------------------------------------------------------------------------


def test_the_upload_form_is_shown_to_a_manager(manager_a):
    response = manager_a.get(IMPORT)

    assert response.status_code == 200
    assert "partner_ref" in response.content.decode()


def test_a_manager_uploads_revenue_for_their_tenant(world, manager_a):
    ref = world.a.partner.external_ref

    response = upload(manager_a, f"partner_ref;month;category;amount\n{ref};2026-03;recurring;1 234,50\n")

    assert response.status_code == 302 and response["Location"] == LEDGER
    assert ledger() == [("alpha", ref, dt.date(2026, 3, 1), Decimal("1234.50"))]
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["revenue.csv : 1 ligne importée."]
    with scopes_disabled():
        record = RevenueImport.objects.get()
    assert (record.tenant, record.created_by, record.status) == (world.a.tenant, world.a.manager, "imported")


def test_a_rejected_upload_shows_every_error_with_its_line_and_imports_nothing(world, manager_a):
    RevenueEntryFactory(partner=world.a.partner, month=dt.date(2026, 1, 1), amount=Decimal("10.00"))
    before = ledger()
    ref = world.a.partner.external_ref

    response = upload(
        manager_a,
        "partner_ref;month;category;amount\n"
        f"{ref};2026-01;recurring;999\n"
        "NOPE;2026-01;recurring;100\n"
        f"{ref};2026-02;recurring;-3\n",
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Le fichier a été rejeté et rien n’a été importé" in html
    assert "<tr><td>3</td><td>partenaire inconnu &#x27;NOPE&#x27;</td></tr>" in html  # the manager's language
    assert "<tr><td>4</td><td>le montant -3 est négatif</td></tr>" in html
    assert ledger() == before
    with scopes_disabled():
        assert RevenueImport.objects.get().status == RevenueImport.Status.REJECTED


def test_a_partner_of_another_tenant_cannot_be_imported_from_this_ones_back_office(world, manager_a):
    response = upload(
        manager_a, f"partner_ref,month,category,amount\n{world.b.partner.external_ref},2026-01,recurring,5\n"
    )

    assert response.status_code == 400
    assert f"partenaire inconnu &#x27;{world.b.partner.external_ref}&#x27;" in response.content.decode()
    assert ledger() == []


@pytest.mark.parametrize("who", ["manager of B", "partner admin of A"])
def test_only_this_tenants_managers_may_upload(world, programmes, client_for, who):
    if who == "manager of B":
        client, host = client_for(world.b.tenant, world.b.manager), world.a.host  # B's session on A's host
    else:
        client, host = client_for(world.a.tenant, world.a.admin), None
    ref = world.a.partner.external_ref

    response = upload(client, f"partner_ref;month;category;amount\n{ref};2026-01;recurring;5\n", host=host)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert ledger() == []
    with scopes_disabled():
        assert not RevenueImport.objects.exists()


# --- the evaluation preview --------------------------------------------------------------------------


@pytest.fixture
def movers(world, programmes, time_machine):
    """In May–October 2026: A's partner at 737 € (Access), B's partner at 4 321.09 € (Business); the others
    have nothing. Nobody has been assessed yet, and today is 23 November 2026."""
    add_revenue(world.a.partner, "737", start=dt.date(2026, 5, 1))
    add_revenue(world.b.partner, "4321.09", start=dt.date(2026, 5, 1))
    time_machine.move_to(TODAY, tick=False)
    return programmes


def test_the_preview_counts_who_would_move_and_writes_nothing(world, movers, manager_a):
    before = snapshot(world.a.tenant)

    response = manager_a.get(PREVIEW)

    assert response.status_code == 200
    result = response.context["result"]
    assert result.dry_run and result.partners == 2
    assert result.counts == {"up": 1, "down": 0, "same": 1, "pinned": 0, "held": 0}
    assert (result.window.start, result.window.end) == (dt.date(2026, 5, 1), dt.date(2026, 10, 31))
    assert [(row.partner_ref, row.applied_tier.code) for row in response.context["movers"]] == [
        (world.a.partner.external_ref, "access")
    ]
    assert response.context["due"] == JULY_2026 and not response.context["due_done"]
    html = response.content.decode()
    assert "<tr><td>2</td><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td></tr>" in html
    assert snapshot(world.a.tenant) == before


def test_the_preview_of_a_tenant_shows_only_its_own_partners(world, movers, client_for):
    response = client_for(world.b.tenant, world.b.manager).get(PREVIEW)

    assert response.status_code == 200
    assert response.context["result"].partners == 2
    refs = [row.partner_ref for row in response.context["movers"]]
    assert refs == [world.b.partner.external_ref]
    html = response.content.decode()
    for partner in (world.a.partner, world.a.other_partner):
        assert partner.external_ref not in html and partner.legal_name not in html
    assert world.b.partner.legal_name in html


def test_the_preview_tells_the_superuser_whether_this_tenants_due_evaluation_is_applied(
    world, movers, client_for
):
    evaluate(world.b.tenant, JULY_2026)  # B's is applied, A's is not
    superuser = client_for(world.a.tenant, world.superuser)

    response = superuser.get(PREVIEW)

    assert response.status_code == 200
    assert response.context["result"].partners == 2  # A's partners
    assert not response.context["due_done"]


def test_a_manager_applies_the_due_evaluation_from_the_preview(
    world, movers, manager_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the run is queued once the request commits
        response = manager_a.post(PREVIEW, {"apply_due": "1"})

    assert response.status_code == 302 and response["Location"] == EVALUATIONS
    evaluation = evaluation_of(world.a.tenant, JULY_2026)
    assert evaluation.status == Evaluation.Status.FINISHED
    assert evaluation.started_by == world.a.manager
    with scopes_disabled():
        assert not Evaluation.objects.filter(tenant=world.b.tenant).exists()
    assert manager_a.get(PREVIEW).context["due_done"]


def test_a_manual_run_needs_an_evaluation_date_and_runs_it(
    world, movers, manager_a, django_capture_on_commit_callbacks
):
    response = manager_a.post(PREVIEW, {"manual_run": "1", "evaluation_date": "2026-03-01", "confirm": "on"})

    assert response.status_code == 200
    assert "evaluation_date" in response.context["form"].errors
    with scopes_disabled():
        assert not Evaluation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_a.post(
            PREVIEW, {"manual_run": "1", "evaluation_date": "2026-01-01", "confirm": "on"}
        )

    assert response.status_code == 302
    evaluation = evaluation_of(world.a.tenant, dt.date(2026, 1, 1))
    assert (evaluation.status, evaluation.started_by) == (Evaluation.Status.FINISHED, world.a.manager)


def test_the_preview_is_for_managers_only(world, movers, client_for):
    response = client_for(world.a.tenant, world.a.admin).get(PREVIEW)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- partners' list with their tier --------------------------------------------------------------------


def test_the_partner_list_shows_each_partners_tier_of_this_tenant_only(world, programmes, manager_a):
    add_revenue(world.a.partner, "1500")  # Business at 1 July 2026
    add_revenue(world.b.partner, "600")  # Access, in the other tenant
    evaluate(world.a.tenant)
    evaluate(world.b.tenant)

    response = manager_a.get(reverse("admin:partnerportal_partner_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Business" in html and world.a.partner.legal_name in html
    assert world.b.partner.legal_name not in html
    tier_filter = next(f for f in response.context["cl"].filter_specs if f.field_path == "current_tier__tier")
    with scopes_disabled():
        tenant_a_tiers = set(Tier.objects.filter(tenant=world.a.tenant).values_list("pk", flat=True))
    assert {pk for pk, _ in tier_filter.lookup_choices} <= tenant_a_tiers  # never tenant B's tiers
    assert {pk for pk, _ in tier_filter.lookup_choices} == tenant_a_tiers  # the ladder, as the form offers
