"""The back-office at /admin/ on a tenant's host (admin_site.py, admin.py).

A partner manager sees and edits their tenant only (change lists, foreign-key choices and their POST
validation, autocomplete, list filters); platform models are for the superuser only.
"""

import json

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Invitation, Membership, OperatorPlan, Partner, PartnerType
from tests.partnerportal.factories import InvitationFactory, MembershipFactory

PARTNER_CHANGELIST = reverse("admin:partnerportal_partner_changelist")
PARTNER_ADD = reverse("admin:partnerportal_partner_add")


def partner_change_url(partner: Partner) -> str:
    return reverse("admin:partnerportal_partner_change", args=[partner.pk])


def choice_values(form, field: str) -> set[str]:
    return {str(value) for value, _label in form.fields[field].choices if value != ""}


def pks(*objects) -> set[str]:
    return {str(obj.pk) for obj in objects}


def partner_add_data(setup, **overrides) -> dict:
    data = {
        "external_ref": "NEW-001",
        "legal_name": "Nouvelle Société SAS",
        "trade_name": "",
        "siren": "",
        "siret": "",
        "partner_type": setup.operator_type.pk,
        "operator_plan": setup.operator_plan.pk,
        "revenue_share": "15.00",
        "status": Partner.Status.APPLICANT,
        "date_joined": "2026-01-15",
        "channel_manager": setup.manager.pk,
        "country": "FR",
        "preferred_language": "fr",
    }
    data.update(overrides)
    return data


@pytest.fixture
def manager_a(world, client_for):
    return client_for(world.a.tenant, world.a.manager)


@pytest.fixture
def superuser_a(world, client_for):
    return client_for(world.a.tenant, world.superuser)


# --- who may enter -----------------------------------------------------------------------------------


def test_manager_reaches_the_back_office_with_the_tenants_header(world, manager_a):
    response = manager_a.get(reverse("admin:index"))

    assert response.status_code == 200
    assert world.a.tenant.name in str(response.context["site_header"])
    assert world.b.tenant.name not in response.content.decode()


@pytest.mark.parametrize("who", ["admin", "sales"])
def test_partner_people_are_refused_the_back_office(world, client_for, who):
    client = client_for(world.a.tenant, getattr(world.a, who))

    for url in (reverse("admin:index"), PARTNER_CHANGELIST):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:login")).status_code == 403  # signed in, but not staff


def test_staff_flag_without_a_manager_membership_is_refused(world, client_for):
    # is_staff is global; what counts on a tenant's host is a manager membership in that tenant.
    world.a.admin.is_staff = True
    world.a.admin.save()
    MembershipFactory(manager=True, tenant=world.b.tenant, user=world.a.admin)

    response = client_for(world.a.tenant, world.a.admin).get(PARTNER_CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_manager_of_another_tenant_is_refused(world, client_for):
    # B's manager holds no membership in A: they cannot sign in on A, and a forged binding changes nothing.
    response = client_for(world.a.tenant, world.b.manager).get(PARTNER_CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_login_goes_through_allauth(world, client_for):
    client = client_for(world.a.tenant)

    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next=/admin/"

    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"


# --- what a manager sees -----------------------------------------------------------------------------


def test_manager_changelist_shows_own_tenants_partners_only(world, manager_a):
    response = manager_a.get(PARTNER_CHANGELIST)

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {world.a.partner, world.a.other_partner}
    content = response.content.decode()
    assert world.b.partner.legal_name not in content
    assert world.b.other_partner.legal_name not in content


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_manager_cannot_open_another_tenants_partner(world, manager_a, view):
    url = reverse(f"admin:partnerportal_partner_{view}", args=[world.b.partner.pk])

    response = manager_a.get(url)

    # Django's admin answers a missing object with a redirect to the index ("does not exist").
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")
    assert world.b.partner.legal_name not in response.content.decode()


def test_manager_cannot_change_or_delete_another_tenants_partner_by_post(world, manager_a):
    manager_a.post(partner_change_url(world.b.partner), partner_add_data(world.a, legal_name="Hijacked"))
    manager_a.post(reverse("admin:partnerportal_partner_delete", args=[world.b.partner.pk]), {"post": "yes"})
    manager_a.post(
        PARTNER_CHANGELIST,
        {"action": "delete_selected", "_selected_action": [world.b.partner.pk], "post": "yes"},
    )

    with scopes_disabled():
        assert Partner.objects.get(pk=world.b.partner.pk).legal_name == world.b.partner.legal_name


def test_partner_add_form_offers_the_tenants_choices_only(world, manager_a):
    response = manager_a.get(PARTNER_ADD)

    form = response.context["adminform"].form
    assert "tenant" not in form.fields
    assert choice_values(form, "partner_type") == pks(world.a.partner_type, world.a.operator_type)
    assert choice_values(form, "operator_plan") == pks(world.a.operator_plan)
    # Channel managers: A's managers only, not A's partner people, not B's manager, not the superuser.
    assert choice_values(form, "channel_manager") == pks(world.a.manager)


def test_partner_add_saves_in_the_managers_tenant(world, manager_a):
    response = manager_a.post(PARTNER_ADD, partner_add_data(world.a))

    assert response.status_code == 302, response.context["adminform"].form.errors
    with scopes_disabled():
        partner = Partner.objects.get(external_ref="NEW-001")
    assert partner.tenant == world.a.tenant
    assert partner.channel_manager == world.a.manager


@pytest.mark.parametrize("field", ["partner_type", "operator_plan", "channel_manager"])
def test_partner_add_refuses_another_tenants_choice(world, manager_a, field):
    other = {
        "partner_type": world.b.operator_type,
        "operator_plan": world.b.operator_plan,
        "channel_manager": world.b.manager,
    }[field]

    response = manager_a.post(PARTNER_ADD, partner_add_data(world.a, **{field: other.pk}))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    with scopes_disabled():
        assert not Partner.objects.filter(external_ref="NEW-001").exists()


def test_partner_change_refuses_another_tenants_partner_type(world, manager_a):
    response = manager_a.post(
        partner_change_url(world.a.partner),
        partner_add_data(
            world.a, external_ref=world.a.partner.external_ref, partner_type=world.b.operator_type.pk
        ),
    )

    assert response.status_code == 200
    assert "partner_type" in response.context["adminform"].form.errors
    with scopes_disabled():
        assert Partner.objects.get(pk=world.a.partner.pk).partner_type == world.a.partner_type


def test_autocomplete_offers_the_tenants_partners_only(world, manager_a):
    response = manager_a.get(
        reverse("admin:autocomplete"),
        {"app_label": "partnerportal", "model_name": "membership", "field_name": "partner", "term": ""},
    )

    assert response.status_code == 200
    results = json.loads(response.content)["results"]
    assert {r["id"] for r in results} == pks(world.a.partner, world.a.other_partner)


def test_autocomplete_search_does_not_reach_another_tenant(world, manager_a):
    response = manager_a.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "partnerportal",
            "model_name": "invitation",
            "field_name": "partner",
            "term": world.b.partner.legal_name,
        },
    )

    assert response.status_code == 200
    assert json.loads(response.content)["results"] == []


def test_list_filters_offer_the_tenants_values_only(world, manager_a):
    with scopes_disabled():
        for setup in (world.a, world.b):
            Partner.objects.filter(pk=setup.other_partner.pk).update(
                partner_type=setup.operator_type,
                operator_plan=setup.operator_plan,
                channel_manager=setup.manager,
            )
            Partner.objects.filter(pk=setup.partner.pk).update(channel_manager=setup.admin)

    response = manager_a.get(PARTNER_CHANGELIST)

    specs = {
        spec.field_path: spec for spec in response.context["cl"].filter_specs if hasattr(spec, "field_path")
    }
    # The tenant's own types, plans and managers (all of them, as the change form offers: not read from the
    # partners, which at 50,000 partners was a scan per filter), and nothing of B's.
    with scopes_disabled():
        types = set(PartnerType.objects.filter(tenant=world.a.tenant).values_list("pk", flat=True))
        plans = set(OperatorPlan.objects.filter(tenant=world.a.tenant).values_list("pk", flat=True))
    assert {pk for pk, _ in specs["partner_type"].lookup_choices} == types
    assert {world.a.partner_type.pk, world.a.operator_type.pk} <= types
    assert {pk for pk, _ in specs["operator_plan"].lookup_choices} == plans == {world.a.operator_plan.pk}
    assert {str(pk) for pk, _ in specs["channel_manager"].lookup_choices} == pks(world.a.manager)
    content = response.content.decode()
    for name in (world.b.partner_type.name, world.b.operator_type.name, world.b.operator_plan.name):
        assert name not in content


def test_membership_changelist_shows_own_tenants_people_only(world, manager_a):
    response = manager_a.get(reverse("admin:partnerportal_membership_changelist"))

    assert response.status_code == 200
    with scopes_disabled():
        expected = set(Membership.objects.filter(tenant=world.a.tenant))
    assert set(response.context["cl"].result_list) == expected
    assert world.b.admin.email not in response.content.decode()


def test_manager_changes_a_membership_of_the_tenant(world, manager_a):
    url = reverse("admin:partnerportal_membership_change", args=[world.a.sales_membership.pk])

    assert manager_a.get(url).status_code == 200
    response = manager_a.post(url, {"partner": world.a.partner.pk, "role": Membership.Role.TECHNICAL})

    assert response.status_code == 302
    with scopes_disabled():
        assert Membership.objects.get(pk=world.a.sales_membership.pk).role == Membership.Role.TECHNICAL


def test_manager_cannot_move_a_membership_to_another_tenants_partner(world, manager_a):
    url = reverse("admin:partnerportal_membership_change", args=[world.a.sales_membership.pk])

    response = manager_a.post(url, {"partner": world.b.partner.pk, "role": Membership.Role.SALES})

    assert response.status_code == 200
    assert "partner" in response.context["adminform"].form.errors
    with scopes_disabled():
        assert Membership.objects.get(pk=world.a.sales_membership.pk).partner == world.a.partner


def test_manager_invites_through_the_back_office(
    world, manager_a, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:partnerportal_invitation_add")
    assert manager_a.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_a.post(
            url, {"email": "New.Person@Example.test", "partner": world.a.partner.pk, "role": "sales"}
        )

    assert response.status_code == 302
    with scopes_disabled():
        invitation = Invitation.objects.get(email="new.person@example.test")
    assert invitation.tenant == world.a.tenant
    assert invitation.partner == world.a.partner
    assert invitation.invited_by == world.a.manager
    assert len(mailoutbox) == 1
    assert f"http://{world.a.host}/invitations/" in mailoutbox[0].body


def test_manager_cannot_invite_into_another_tenants_partner(world, manager_a, mailoutbox):
    response = manager_a.post(
        reverse("admin:partnerportal_invitation_add"),
        {"email": "someone@example.test", "partner": world.b.partner.pk, "role": "sales"},
    )

    assert response.status_code == 200
    assert "partner" in response.context["adminform"].form.errors
    with scopes_disabled():
        assert not Invitation.objects.filter(email="someone@example.test").exists()
    assert mailoutbox == []


def test_manager_revokes_invitations_of_the_tenant_only(world, manager_a):
    mine = InvitationFactory(partner=world.a.partner)
    theirs = InvitationFactory(partner=world.b.partner)

    response = manager_a.post(
        reverse("admin:partnerportal_invitation_changelist"),
        {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]},
    )

    assert response.status_code == 302
    with scopes_disabled():
        assert Invitation.objects.get(pk=mine.pk).revoked_at is not None
        assert Invitation.objects.get(pk=theirs.pk).revoked_at is None


# --- platform models are the superuser's ------------------------------------------------------------


PLATFORM_URLS = [
    reverse("admin:partnerportal_user_changelist"),
    reverse("admin:partnerportal_user_add"),
    reverse("admin:partnerportal_tenant_changelist"),
    reverse("admin:partnerportal_tenant_add"),
    reverse("admin:django_celery_beat_periodictask_changelist"),
    reverse("admin:django_celery_beat_crontabschedule_changelist"),
    reverse("admin:account_emailaddress_changelist"),
]


@pytest.mark.parametrize("url", PLATFORM_URLS)
def test_manager_is_refused_platform_models(world, manager_a, url):
    assert manager_a.get(url).status_code == 403


def test_manager_cannot_edit_users(world, manager_a):
    url = reverse("admin:partnerportal_user_change", args=[world.a.manager.pk])

    assert manager_a.get(url).status_code == 403
    manager_a.post(
        url, {"email": world.a.manager.email, "is_staff": "on", "is_superuser": "on", "is_active": "on"}
    )

    world.a.manager.refresh_from_db()
    assert not world.a.manager.is_superuser


def test_manager_index_lists_tenant_models_only(world, manager_a):
    response = manager_a.get(reverse("admin:index"))

    models = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    assert {"Partner", "PartnerType", "OperatorPlan", "Membership", "Invitation"} <= models
    assert not models & {"User", "Tenant", "EmailAddress", "PeriodicTask", "CrontabSchedule"}


@pytest.mark.parametrize("url", PLATFORM_URLS)
def test_superuser_reaches_platform_models(world, superuser_a, url):
    assert superuser_a.get(url).status_code == 200


def test_superuser_sees_every_tenants_partners(world, superuser_a):
    response = superuser_a.get(PARTNER_CHANGELIST)

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {
        world.a.partner,
        world.a.other_partner,
        world.b.partner,
        world.b.other_partner,
    }
    assert superuser_a.get(partner_change_url(world.b.partner)).status_code == 200


def test_superuser_partner_form_has_the_tenant_field(world, superuser_a):
    form = superuser_a.get(PARTNER_ADD).context["adminform"].form

    assert "tenant" in form.fields


def test_superuser_cannot_mix_tenants_in_a_partner(world, superuser_a):
    data = partner_add_data(world.a, tenant=world.a.tenant.pk, partner_type=world.b.operator_type.pk)
    data["operator_plan"] = world.b.operator_plan.pk
    data["channel_manager"] = ""

    response = superuser_a.post(PARTNER_ADD, data)

    assert response.status_code == 200
    assert "partner_type" in response.context["adminform"].form.errors
    with scopes_disabled():
        assert not Partner.objects.filter(external_ref="NEW-001").exists()


# --- the partners' list and page: columns, inlines, bounded queries --------------------------------------


def add_partner_history(setup, programme, count: int) -> None:
    """``count`` more partners, each with people, revenue, an assessment, a claim and a duty."""
    import datetime as dt

    from tests.benefits.factories import ClaimFactory, assess
    from tests.obligations.factories import DutyFulfilmentFactory
    from tests.partnerportal.factories import PartnerFactory
    from tests.tiers.factories import add_revenue

    for index in range(count):
        partner = PartnerFactory(
            tenant=setup.tenant,
            partner_type=setup.partner_type,
            channel_manager=setup.manager,
            legal_name=f"Extra {index}",
        )
        MembershipFactory(partner=partner, role=Membership.Role.SALES)
        add_revenue(partner, "700", start=dt.date(2026, 1, 1), months=11)
        assess(partner, programme.tiers["access"], dt.date(2026, 7, 1))
        ClaimFactory(
            partner=partner, benefit__tenant=setup.tenant, benefit__from_tier=programme.tiers["starter"]
        )
        DutyFulfilmentFactory(partner=partner, due_date=setup.tenant.today())


@pytest.fixture
def programme_a(world):
    from tests.tiers.factories import build_programme

    return build_programme(
        tenant=world.a.tenant, ambassador=world.a.partner_type, operator=world.a.operator_type
    )


def test_partner_changelist_columns_and_bounded_queries(
    world, programme_a, manager_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager_a.get(PARTNER_CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        response = manager_a.get(PARTNER_CHANGELIST)
    add_partner_history(world.a, programme_a, 15)
    with CaptureQueriesContext(connection) as many:
        response = manager_a.get(PARTNER_CHANGELIST)

    assert len(many) == len(few)
    with django_assert_max_num_queries(20):
        manager_a.get(PARTNER_CHANGELIST)
    from tiers.admin import current_tier_name
    from tiers.backoffice import basis_column

    columns = response.context["cl"].list_display
    for column in ("partner_type", "status", "channel_manager", current_tier_name, basis_column):
        assert column in columns
    assert "Extra 14" in response.content.decode()


def test_partner_change_page_shows_the_partners_records(world, programme_a, manager_a):
    add_partner_history(world.a, programme_a, 1)
    with scopes_disabled():
        partner = Partner.objects.get(legal_name="Extra 0")
    response = manager_a.get(partner_change_url(partner))

    assert response.status_code == 200
    inlines = {formset.opts.model._meta.model_name for formset in response.context["inline_admin_formsets"]}
    # The core's people, and what each app adds (recruitment: the company's application, if it applied).
    assert inlines == {"membership", "assessment", "revenueentry", "claim", "dutyfulfilment", "application"}
    revenue = next(
        f
        for f in response.context["inline_admin_formsets"]
        if f.opts.model._meta.model_name == "revenueentry"
    )
    assert not revenue.has_add_permission and not revenue.has_change_permission


def test_partner_change_page_queries_do_not_grow_with_its_history(
    world, programme_a, manager_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.benefits.factories import ClaimFactory
    from tests.obligations.factories import DutyFulfilmentFactory
    from tests.tiers.factories import add_revenue

    add_partner_history(world.a, programme_a, 1)
    with scopes_disabled():
        partner = Partner.objects.get(legal_name="Extra 0")
    url = partner_change_url(partner)
    manager_a.get(url)
    with CaptureQueriesContext(connection) as few:
        manager_a.get(url)
    import datetime as dt

    add_revenue(partner, "50", start=dt.date(2026, 1, 1), months=11, category="usage")
    for index in range(4):
        MembershipFactory(partner=partner, role=Membership.Role.TECHNICAL)
        ClaimFactory(
            partner=partner, benefit__tenant=world.a.tenant, benefit__from_tier=programme_a.tiers["starter"]
        )
        DutyFulfilmentFactory(
            partner=partner, due_date=world.a.tenant.today(), period=dt.date(2021 + index, 1, 1)
        )
    with CaptureQueriesContext(connection) as many:
        manager_a.get(url)

    assert len(many) == len(few)
    with django_assert_max_num_queries(40):
        manager_a.get(url)


def test_the_people_inline_shows_the_team_and_changes_nothing(world, manager_a):
    """Profiles change and people leave through the team's services, which keep an administrator: the
    partner's page lists its people and offers no field, no deletion and no addition."""
    response = manager_a.get(partner_change_url(world.a.partner))
    people = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Membership)
    assert len(people.formset.forms) == 2
    assert "role" not in people.formset.forms[0].fields
    assert not people.formset.can_delete
    assert people.has_add_permission is False and people.has_change_permission is False
