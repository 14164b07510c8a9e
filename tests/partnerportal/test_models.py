"""Model rules (models.py): cross-tenant references, company numbers, membership shape."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from partnerportal.models import Invitation, Membership, Partner, Tenant
from tests.partnerportal.factories import MembershipFactory, PartnerFactory, TenantFactory, UserFactory


def errors_of(instance) -> dict:
    with scopes_disabled(), pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def test_partner_refuses_another_tenants_type_and_plan(world):
    partner = Partner(
        tenant=world.a.tenant,
        external_ref="X1",
        legal_name="Mixed",
        partner_type=world.b.operator_type,
        operator_plan=world.b.operator_plan,
    )

    errors = errors_of(partner)

    assert {"partner_type", "operator_plan"} <= set(errors)


def test_operator_plan_only_for_operator_types(world):
    partner = PartnerFactory.build(
        tenant=world.a.tenant, partner_type=world.a.partner_type, operator_plan=world.a.operator_plan
    )

    assert "operator_plan" in errors_of(partner)


@pytest.mark.parametrize(
    ("share", "ok"), [("10.00", True), ("20.00", True), ("9.99", False), ("20.01", False)]
)
def test_revenue_share_within_the_plans_range(world, share, ok):
    partner = PartnerFactory.build(
        tenant=world.a.tenant,
        partner_type=world.a.operator_type,
        operator_plan=world.a.operator_plan,
        revenue_share=Decimal(share),
    )

    if ok:
        with scopes_disabled():
            partner.full_clean()
    else:
        assert "revenue_share" in errors_of(partner)


def test_siret_must_start_with_the_siren(world):
    partner = PartnerFactory.build(tenant=world.a.tenant, partner_type=world.a.partner_type)
    partner.siren = "732829320"  # valid, but not the SIRET's
    assert not partner.siret.startswith(partner.siren)

    assert "siret" in errors_of(partner)


def test_siren_is_taken_from_the_siret_when_missing(world):
    partner = PartnerFactory.build(
        tenant=world.a.tenant, partner_type=world.a.partner_type, siren="", siret="73282932000074"
    )

    with scopes_disabled():
        partner.full_clean()

    assert partner.siren == "732829320"


def test_external_ref_is_unique_per_tenant_only(world):
    PartnerFactory(tenant=world.b.tenant, external_ref=world.a.partner.external_ref)  # fine in another tenant

    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerFactory(tenant=world.a.tenant, external_ref=world.a.partner.external_ref)


def test_one_membership_per_person_and_tenant(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(partner=world.a.other_partner, user=world.a.admin, role="sales")


@pytest.mark.parametrize(("role", "with_partner"), [("manager", True), ("admin", False), ("sales", False)])
def test_membership_partner_iff_partner_role_in_the_database(world, role, with_partner):
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        Membership.objects.create(
            tenant=world.a.tenant,
            user=UserFactory(),
            partner=world.a.partner if with_partner else None,
            role=role,
        )


def test_membership_refuses_another_tenants_partner(world):
    membership = Membership(tenant=world.a.tenant, user=UserFactory(), partner=world.b.partner, role="sales")

    assert "partner" in errors_of(membership)


def test_invitation_refuses_someone_who_already_has_access(world):
    invitation = Invitation(
        tenant=world.a.tenant, partner=world.a.partner, email=world.a.sales.email.upper(), role="sales"
    )

    assert "email" in errors_of(invitation)


def test_invitation_for_someone_of_another_tenant_is_fine(world):
    invitation = Invitation(
        tenant=world.a.tenant, partner=world.a.partner, email=world.b.sales.email, role="sales"
    )

    with scopes_disabled():
        invitation.full_clean(exclude=["token_hash", "expires_at", "invited_by"])


def test_tenant_defaults(db):
    tenant = Tenant.objects.create(name="Gamma", slug="gamma")

    assert tenant.evaluation_months == [1, 7]
    assert tenant.default_language == "fr"
    assert tenant.currency == "EUR"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary_colour", "red"),
        ("timezone", "Mars/Olympus"),
        ("evaluation_months", [0]),
        ("evaluation_period_months", 13),
    ],
)
def test_tenant_settings_are_validated(db, field, value):
    tenant = TenantFactory.build(**{field: value})

    assert field in errors_of(tenant)
