"""Factories of the core app.

Tenant-owned models have scoped default managers, so every factory here creates its rows with scopes
disabled (``ScopedFactory._create``): a test builds data for several tenants at once, on purpose.
"""

from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django_scopes import scopes_disabled
from factory.django import DjangoModelFactory

from partnerportal.models import (
    Invitation,
    Membership,
    OperatorPlan,
    Partner,
    PartnerType,
    Tenant,
    TenantDomain,
    User,
    hash_token,
)

# Every factory user has this password; tests that sign in through the real form use it.
PASSWORD = "correct-horse-battery-staple"


def luhn_check_digit(prefix: str) -> str:
    """The digit that makes ``prefix + digit`` pass the Luhn check (SIREN and SIRET keys).

    Written here independently of partnerportal.validators, so that the validator tests mean something.
    """
    total = 0
    # Counting from the right of the completed number, the check digit is position 0 (not doubled);
    # so the prefix's last digit is position 1 and is doubled.
    for index, char in enumerate(reversed(prefix), start=1):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def with_luhn_key(prefix: str) -> str:
    return prefix + luhn_check_digit(prefix)


class ScopedFactory(DjangoModelFactory):
    """Creates through a django-scopes ScopedManager, which raises outside a scope otherwise."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():  # test data spans tenants on purpose
            return super()._create(model_class, *args, **kwargs)


class TenantFactory(DjangoModelFactory):
    """A tenant that serves ``<slug>.localhost`` (a host covered by the default ALLOWED_HOSTS)."""

    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} SAS")
    evaluation_months = [1, 7]

    @factory.post_generation
    def host(obj, create, extracted, **kwargs):
        if create:
            TenantDomain.objects.create(
                tenant=obj, host=extracted or f"{obj.slug}.localhost", is_primary=True
            )


class UserFactory(DjangoModelFactory):
    """A person with a verified primary e-mail address (the portal requires verified addresses)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def email_address(obj, create, extracted, verified=True, **kwargs):
        """``UserFactory(email_address__verified=False)`` for a person who never confirmed it."""
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=verified)


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class PartnerTypeFactory(ScopedFactory):
    class Meta:
        model = PartnerType

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"type{n}")
    name = factory.Sequence(lambda n: f"Partner type {n}")
    grading_basis = "monthly recurring revenue"
    grading_basis_short = "MRR"


class OperatorPlanFactory(ScopedFactory):
    class Meta:
        model = OperatorPlan

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"plan{n}")
    name = factory.Sequence(lambda n: f"Operator plan {n}")
    revenue_share_min = Decimal("10.00")
    revenue_share_max = Decimal("20.00")


class PartnerFactory(ScopedFactory):
    """A partner with a valid SIREN and a SIRET of its head office (both with their Luhn key)."""

    class Meta:
        model = Partner

    tenant = factory.SubFactory(TenantFactory)
    partner_type = factory.SubFactory(PartnerTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    external_ref = factory.Sequence(lambda n: f"P{n:05d}")
    legal_name = factory.Sequence(lambda n: f"Partner company {n} SARL")
    siren = factory.Sequence(lambda n: with_luhn_key(f"{(12345678 + n * 7919) % 10**8:08d}"))
    siret = factory.LazyAttribute(lambda o: with_luhn_key(o.siren + "0001"))
    city = "Lyon"
    postal_code = "69002"
    country = "FR"
    status = Partner.Status.ACTIVE


class MembershipFactory(ScopedFactory):
    """A partner's person (admin by default); ``manager=True`` gives a tenant's partner manager."""

    class Meta:
        model = Membership

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.ADMIN

    class Params:
        manager = factory.Trait(
            role=Membership.Role.MANAGER,
            partner=None,
            tenant=factory.SubFactory(TenantFactory),
            user=factory.SubFactory(UserFactory, is_staff=True),
        )


class InvitationFactory(ScopedFactory):
    """A pending invitation; ``invitation.token`` holds the token (the database has only its hash)."""

    class Meta:
        model = Invitation

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant if o.partner else None)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Membership.Role.SALES
    token = factory.Sequence(lambda n: f"test-token-{n}-{'x' * 20}")
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    expires_at = factory.LazyFunction(Invitation.default_expiry)

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token
        return invitation
