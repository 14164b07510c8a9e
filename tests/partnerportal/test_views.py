"""Partner-facing pages: home, "Mon équipe", "Mon entreprise", team management, language (views.py)."""

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Membership, Partner
from tests.partnerportal.factories import InvitationFactory, MembershipFactory

HOME = reverse("partnerportal:home")
TEAM = reverse("partnerportal:team")
COMPANY = reverse("partnerportal:company")
PAGES = [HOME, TEAM, COMPANY]
# Pinned: tenant, session, user, membership (+ the page's own reads). A page that grows with the team
# (one query per person or per invitation) breaks the tests below, which run with 2 and 10 people.
# The home adds its standing (current tier and revenue, one query), what needs doing and what changed lately (one UNION):
# 7; tests/tiers/test_home_page.py grows the partner's whole history.
HOME_QUERIES = 7
TEAM_QUERIES = 9


def update_url(membership: Membership) -> str:
    return reverse("partnerportal:membership-update", args=[membership.pk])


def delete_url(membership: Membership) -> str:
    return reverse("partnerportal:membership-delete", args=[membership.pk])


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def reload(obj):
    with scopes_disabled():
        return type(obj).objects.filter(pk=obj.pk).first()


def company_data(**overrides) -> dict:
    data = {
        "trade_name": "Azur",
        "address_line1": "12 rue de la République",
        "address_line2": "",
        "postal_code": "69002",
        "city": "Lyon",
        "region": "Auvergne-Rhône-Alpes",
        "country": "FR",
        "phone": "+33 4 72 00 00 00",
        "email": "contact@azur.example",
        "website": "https://azur.example",
        "preferred_language": "fr",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_a(world, client_for):
    return client_for(world.a.tenant, world.a.admin)


@pytest.fixture
def sales_a(world, client_for):
    return client_for(world.a.tenant, world.a.sales)


# --- pages -------------------------------------------------------------------------------------------


def test_home_shows_the_partner_and_the_way_to_each_section(world, admin_a):
    response = admin_a.get(HOME)

    assert response.status_code == 200
    content = response.content.decode()
    assert world.a.partner.legal_name in content
    assert world.a.partner.external_ref in content
    assert world.a.partner_type.name in content
    for url in ("/status/", "/benefits/", "/duties/", "/promos/", "/documents/", "/team/", "/company/"):
        assert f'class="tile" href="{url}"' in content
    for foreign in (
        world.a.other_partner.legal_name,
        world.a.other_admin.get_full_name(),
        world.b.partner.legal_name,
    ):
        assert foreign not in content


def test_team_lists_the_partners_people_only(world, admin_a):
    response = admin_a.get(TEAM)

    assert response.status_code == 200
    assert set(response.context["table"].data) == {world.a.admin_membership, world.a.sales_membership}
    content = response.content.decode()
    assert world.a.sales.email in content
    assert world.a.other_admin.email not in content
    assert world.b.admin.email not in content
    assert response.context["invitation_form"] is not None  # admins invite
    assert update_url(world.a.sales_membership) in content
    assert update_url(world.a.admin_membership) not in content  # nobody edits themselves


def test_team_for_a_sales_member_has_no_management(world, sales_a):
    response = sales_a.get(TEAM)

    assert response.status_code == 200
    assert world.a.admin.email in response.content.decode()
    assert "invitation_form" not in response.context
    assert update_url(world.a.admin_membership) not in response.content.decode()
    assert delete_url(world.a.admin_membership) not in response.content.decode()


def test_team_does_not_list_another_partners_pending_invitations(world, admin_a):
    InvitationFactory(partner=world.a.partner, email="mine@example.test")
    InvitationFactory(partner=world.a.other_partner, email="theirs@example.test")
    InvitationFactory(partner=world.b.partner, email="other-tenant@example.test")

    content = admin_a.get(TEAM).content.decode()

    assert "mine@example.test" in content
    assert "theirs@example.test" not in content
    assert "other-tenant@example.test" not in content


def test_company_shows_identity_and_an_edit_form_to_admins(world, admin_a):
    response = admin_a.get(COMPANY)

    assert response.status_code == 200
    content = response.content.decode()
    assert world.a.partner.siret in content
    assert world.a.partner.external_ref in content
    assert response.context["can_edit"] is True
    assert response.context["form"].instance == world.a.partner


def test_sales_member_views_the_company_without_a_form(world, sales_a):
    response = sales_a.get(COMPANY)

    assert response.status_code == 200
    assert response.context["can_edit"] is False
    assert response.context["form"] is None
    assert world.a.partner.legal_name in response.content.decode()


def test_sales_member_cannot_edit_the_company(world, sales_a):
    response = sales_a.post(COMPANY, company_data(city="Marseille"))

    assert response.status_code == 403
    assert reload(world.a.partner).city == "Lyon"


def test_admin_edits_the_companys_contact_details(world, admin_a):
    response = admin_a.post(COMPANY, company_data(city="Villeurbanne"))

    assert response.status_code == 302
    partner = reload(world.a.partner)
    assert partner.city == "Villeurbanne"
    assert partner.website == "https://azur.example"


def test_admin_cannot_change_the_programme_standing(world, admin_a):
    data = company_data(
        legal_name="Renamed",
        external_ref="HACK",
        status=Partner.Status.TERMINATED,
        partner_type=world.a.operator_type.pk,
        siren="",
    )

    response = admin_a.post(COMPANY, data)

    assert response.status_code == 302  # the contact fields were saved, the rest ignored
    partner = reload(world.a.partner)
    assert (partner.legal_name, partner.external_ref, partner.status, partner.partner_type) == (
        world.a.partner.legal_name,
        world.a.partner.external_ref,
        world.a.partner.status,
        world.a.partner_type,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("website", "not a website"),
        ("country", "XX"),
        ("email", "nobody-at-example"),
        ("preferred_language", "de"),
    ],
)
def test_company_with_bad_data_is_a_400_and_saves_nothing(world, admin_a, field, value):
    response = admin_a.post(COMPANY, company_data(city="Grenoble", **{field: value}))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert reload(world.a.partner).city == "Lyon"


# --- team management ---------------------------------------------------------------------------------


def test_admin_changes_a_colleagues_profile(world, admin_a):
    response = admin_a.post(update_url(world.a.sales_membership), {"role": Membership.Role.TECHNICAL})

    assert response.status_code == 302
    assert reload(world.a.sales_membership).role == Membership.Role.TECHNICAL
    assert [level for level, _ in messages_of(response)] == [SUCCESS]


@pytest.mark.parametrize("role", [Membership.Role.MANAGER, "owner", ""])
def test_admin_cannot_give_a_non_partner_profile(world, admin_a, role):
    response = admin_a.post(update_url(world.a.sales_membership), {"role": role})

    assert response.status_code == 302
    assert reload(world.a.sales_membership).role == Membership.Role.SALES
    assert [level for level, _ in messages_of(response)] == [ERROR]


def test_admin_promotes_a_colleague_then_steps_down(world, admin_a):
    admin_a.post(update_url(world.a.sales_membership), {"role": Membership.Role.ADMIN})
    # With a second admin, the first may step down (not through the team page, which hides oneself).
    response = admin_a.post(update_url(world.a.admin_membership), {"role": Membership.Role.SALES})

    assert response.status_code == 302
    assert reload(world.a.admin_membership).role == Membership.Role.SALES
    assert reload(world.a.sales_membership).role == Membership.Role.ADMIN


def test_last_admin_cannot_be_demoted(world, admin_a):
    response = admin_a.post(update_url(world.a.admin_membership), {"role": Membership.Role.SALES})

    assert response.status_code == 302
    assert reload(world.a.admin_membership).role == Membership.Role.ADMIN
    assert [level for level, _ in messages_of(response)] == [ERROR]


def test_admin_removes_a_colleague(world, admin_a):
    page = admin_a.get(delete_url(world.a.sales_membership))
    assert page.status_code == 200
    assert world.a.sales.get_full_name() in page.content.decode()

    response = admin_a.post(delete_url(world.a.sales_membership))

    assert response.status_code == 302
    assert reload(world.a.sales_membership) is None
    assert [level for level, _ in messages_of(response)] == [SUCCESS]


def test_admin_cannot_remove_themselves(world, admin_a):
    MembershipFactory(partner=world.a.partner, role=Membership.Role.ADMIN)  # not the last admin

    response = admin_a.post(delete_url(world.a.admin_membership))

    assert response.status_code == 302
    assert reload(world.a.admin_membership) is not None
    assert [level for level, _ in messages_of(response)] == [ERROR]


def test_sales_member_cannot_manage_the_team(world, sales_a):
    assert sales_a.post(update_url(world.a.admin_membership), {"role": "sales"}).status_code == 403
    assert sales_a.get(delete_url(world.a.admin_membership)).status_code == 403
    assert sales_a.post(delete_url(world.a.admin_membership)).status_code == 403

    assert reload(world.a.admin_membership).role == Membership.Role.ADMIN


def test_sales_member_cannot_revoke_invitations(world, sales_a):
    invitation = InvitationFactory(partner=world.a.partner)

    response = sales_a.post(reverse("partnerportal:invitation-revoke", args=[invitation.pk]))

    assert response.status_code == 403
    assert reload(invitation).revoked_at is None


# --- isolation: every view naming an object, across tenants and across partners -------------------


def memberships_snapshot():
    return Membership.objects.values_list("pk", "partner_id", "role").order_by("pk")


def test_membership_update_is_isolated(world, isolation):
    isolation(
        [update_url(world.a.sales_membership)],
        methods=["post"],
        expected=302,
        data={"role": Membership.Role.TECHNICAL},
        unchanged=memberships_snapshot,
    )

    assert reload(world.a.sales_membership).role == Membership.Role.TECHNICAL  # the owner's POST worked


def test_membership_delete_is_isolated(world, isolation):
    isolation(
        [delete_url(world.a.sales_membership)],
        methods=["get", "post"],
        expected={"get": 200, "post": 302},
        unchanged=memberships_snapshot,
    )

    assert reload(world.a.sales_membership) is None


def test_invitation_revoke_is_isolated(world, isolation):
    invitation = InvitationFactory(partner=world.a.partner)

    isolation(
        [reverse("partnerportal:invitation-revoke", args=[invitation.pk])],
        methods=["post"],
        expected=302,
        unchanged=lambda: list(type(invitation).objects.values_list("pk", "revoked_at").order_by("pk")),
    )

    assert reload(invitation).revoked_at is not None


def test_unknown_ids_are_404_like_foreign_ones(world, admin_a):
    assert (
        admin_a.post(reverse("partnerportal:membership-update", args=[999999]), {"role": "sales"}).status_code
        == 404
    )
    assert admin_a.get(reverse("partnerportal:membership-delete", args=[999999])).status_code == 404
    assert admin_a.post(reverse("partnerportal:invitation-revoke", args=[999999])).status_code == 404


def test_manager_of_the_same_tenant_gets_no_partner_object(world, client_for):
    # A manager has no partner: the partner pages send them to the back-office instead of 404/500.
    client = client_for(world.a.tenant, world.a.manager)

    response = client.get(delete_url(world.a.sales_membership))

    assert response.status_code in (302, 403)
    assert reload(world.a.sales_membership) is not None


# --- who gets which page -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(world, client_for, path):
    response = client_for(world.a.tenant).get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_back_office_people_are_sent_to_the_admin(world, client_for, who):
    user = world.superuser if who == "superuser" else world.a.manager

    response = client_for(world.a.tenant, user).get(HOME)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_branding_stylesheet_is_the_hosts_tenants(world, client_for):
    with scopes_disabled():
        world.b.tenant.primary_colour = "#123456"
        world.b.tenant.save()

    response = client_for(world.b.tenant).get(reverse("partnerportal:branding-css"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "--brand-primary: #123456" in response.content.decode()


# --- language ----------------------------------------------------------------------------------------


def html_lang(response) -> str:
    content = response.content.decode()
    start = content.index("<html lang=") + len('<html lang="')
    return content[start : content.index('"', start)]


def h1(response) -> str:
    content = response.content.decode()
    return content[content.index("<h1>") + 4 : content.index("</h1>")]


def test_default_language_is_french(world, admin_a):
    response = admin_a.get(TEAM)

    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"
    assert h1(response) != "My team"  # translated (locale/fr)


def test_language_switch_turns_the_portal_into_english(world, admin_a):
    response = admin_a.post(reverse("set_language"), {"language": "en", "next": TEAM})

    assert response.status_code == 302
    assert response["Location"] == TEAM
    page = admin_a.get(TEAM)
    assert html_lang(page) == "en"
    assert page["Content-Language"] == "en"
    assert h1(page) == "My team"

    admin_a.post(reverse("set_language"), {"language": "fr", "next": TEAM})
    assert html_lang(admin_a.get(TEAM)) == "fr"


def test_language_switch_works_before_signing_in(world, client_for):
    client = client_for(world.a.tenant)

    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})

    assert html_lang(client.get("/accounts/login/")) == "en"


def test_language_follows_the_person_then_the_partner_then_the_tenant(world, client_for):
    world.a.sales.preferred_language = "en"
    world.a.sales.save()
    assert html_lang(client_for(world.a.tenant, world.a.sales).get(HOME)) == "en"

    with scopes_disabled():
        Partner.objects.filter(pk=world.a.other_partner.pk).update(preferred_language="en")
    assert html_lang(client_for(world.a.tenant, world.a.other_admin).get(HOME)) == "en"

    world.b.tenant.default_language = "en"
    world.b.tenant.save()
    assert html_lang(client_for(world.b.tenant).get("/accounts/login/")) == "en"
    assert html_lang(client_for(world.a.tenant).get("/accounts/login/")) == "fr"


# --- query counts ------------------------------------------------------------------------------------


def grow_team(partner: Partner, people: int) -> None:
    for _ in range(people):
        MembershipFactory(partner=partner, role=Membership.Role.SALES)
    for _ in range(people):
        InvitationFactory(partner=partner)


@pytest.mark.parametrize("extra_people", [0, 8])
def test_home_query_count_does_not_grow_with_the_team(
    world, admin_a, django_assert_max_num_queries, extra_people
):
    grow_team(world.a.partner, extra_people)
    admin_a.get(HOME)  # the first visit caches the tenant's catalogue of tiers (here: that it has none)

    with django_assert_max_num_queries(HOME_QUERIES):
        response = admin_a.get(HOME)

    assert response.status_code == 200


@pytest.mark.parametrize("extra_people", [0, 8])
def test_team_query_count_does_not_grow_with_the_team(
    world, admin_a, django_assert_max_num_queries, extra_people
):
    grow_team(world.a.partner, extra_people)

    with django_assert_max_num_queries(TEAM_QUERIES):
        response = admin_a.get(TEAM)

    assert response.status_code == 200
    assert len(response.context["table"].rows) == 2 + extra_people


def test_an_htmx_request_after_the_session_ended_sends_the_page_to_the_sign_in(world, client_for):
    client = client_for(world.a.tenant)  # nobody signed in
    response = client.post(
        "/benefits/1/claim/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://{world.a.host}/benefits/?page=2",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fbenefits%2F%3Fpage%3D2"
    assert response.content == b""
