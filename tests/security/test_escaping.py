"""Names with markup, quotes and control characters: shown as text everywhere — the portal, the back-office,
the e-mails (plain text as typed, the HTML alternative escaped) and the PDFs (text, not markup); refused
with a form error, never a 500, when they are too long or carry control characters."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.urls import reverse
from django_scopes import scopes_disabled

from benefits.models import Claim
from documents import services as document_services
from documents.models import Document
from obligations.models import FulfilmentState
from partnerportal import services as portal_services
from partnerportal.emails import partner_emails
from partnerportal.models import Partner, User
from partnerportal.tenancy import tenant_scope
from tests.benefits.factories import BenefitFactory, ClaimFactory, assess
from tests.documents.factories import pdf_of, pdf_text
from tests.obligations.factories import DutyFulfilmentFactory
from tests.partnerportal.factories import InvitationFactory
from tests.promos.factories import PromotionFactory
from tests.tiers.factories import TierFactory

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT}{IMG}"
# What must never reach a page unescaped: an element the browser would build.
RAW = ("<script>alert(1)", "<img src=x onerror")


def hostile(label: str) -> str:
    return f"{label} {HOSTILE}"


@pytest.fixture
def marked(world, settings):
    """Tenant A with every name a person can type made hostile: the tenant, the partner, its admin, a tier,
    a benefit and a claim, a duty and its refusal, a promotion."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    a = world.a
    with scopes_disabled():  # test data, written around the validators (rows from before them, or a script)
        type(a.tenant).objects.filter(pk=a.tenant.pk).update(name=hostile("Alpha"))
        Partner.objects.filter(pk=a.partner.pk).update(
            legal_name=hostile("Azur"), trade_name=hostile("Azur TN")
        )
        User.objects.filter(pk=a.admin.pk).update(first_name=hostile("Ada"), last_name=hostile("Lovelace"))
        a.tenant.refresh_from_db()
        a.partner.refresh_from_db()
        a.admin.refresh_from_db()
        # A tier's name has 60 characters at most (PostgreSQL refuses more): the markup fills 56.
        tier = TierFactory(tenant=a.tenant, name=hostile("Or"), rank=1, awards_diploma=True)
        previous = TierFactory(tenant=a.tenant, name=hostile("Ag"), rank=0)
        assessment = assess(a.partner, tier, dt.date(2026, 1, 1))
        assessment.previous_tier = previous
        benefit = BenefitFactory(
            tenant=a.tenant,
            title=hostile("Benefit"),
            from_tier=previous,
            claimable=True,
            partner_types=[a.partner_type],
        )
        claim = ClaimFactory(
            partner=a.partner,
            benefit=benefit,
            note=hostile("Note"),
            state=Claim.State.REFUSED,
            refusal_reason=hostile("Reason"),
        )
        fulfilment = DutyFulfilmentFactory(
            partner=a.partner,
            duty__title=hostile("Duty"),
            state=FulfilmentState.REFUSED,
            reason=hostile("Why"),
        )
        promotion = PromotionFactory(
            tenant=a.tenant, title=hostile("Promo"), min_tier=previous, partner_types=[a.partner_type]
        )
    return {
        "tier": tier,
        "assessment": assessment,
        "benefit": benefit,
        "claim": claim,
        "fulfilment": fulfilment,
        "promotion": promotion,
    }


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} unescaped"


PORTAL_PAGES = [
    ("partnerportal:home", ()),
    ("partnerportal:team", ()),
    ("partnerportal:company", ()),
    ("tiers:status", ()),
    ("benefits:benefit-list", ()),
    ("obligations:duty-list", ()),
    ("promos:quote-calculator", ()),
    ("documents:document-list", ()),
    ("account_login", ()),
]


@pytest.mark.parametrize(("name", "args"), PORTAL_PAGES)
def test_portal_pages_show_hostile_names_as_text(world, client_for, marked, name, args):
    user = None if name == "account_login" else world.a.admin  # the sign-in page, with the tenant's name
    response = client_for(world.a.tenant, user).get(reverse(name, args=args))

    assert response.status_code == 200
    html = response.content.decode()
    assert_escaped(html, name)


def test_the_portal_shows_the_names_escaped_not_dropped(world, client_for, marked):
    client = client_for(world.a.tenant, world.a.admin)
    html = client.get(reverse("partnerportal:home")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # rendered, as text
    detail = client.get(reverse("obligations:fulfilment-detail", args=[marked["fulfilment"].pk]))
    assert_escaped(detail.content.decode(), "fulfilment-detail")
    assert "Why &lt;script&gt;" in detail.content.decode()


ADMIN_LISTS = [
    "partnerportal_partner",
    "partnerportal_membership",
    "tiers_tier",
    "benefits_benefit",
    "benefits_claim",
    "obligations_duty",
    "obligations_dutyfulfilment",
    "promos_promotion",
]


@pytest.mark.parametrize("model", ADMIN_LISTS)
def test_back_office_lists_and_forms_show_hostile_names_as_text(world, client_for, marked, model):
    client = client_for(world.a.tenant, world.a.manager)
    listing = client.get(reverse(f"admin:{model}_changelist"))
    assert listing.status_code == 200
    assert_escaped(listing.content.decode(), f"{model} list")
    searched = client.get(reverse(f"admin:{model}_changelist"), {"q": HOSTILE})
    assert searched.status_code == 200
    assert_escaped(searched.content.decode(), f"{model} search")

    objects = {
        "partnerportal_partner": world.a.partner,
        "partnerportal_membership": world.a.admin_membership,
        "tiers_tier": marked["tier"],
        "benefits_benefit": marked["benefit"],
        "benefits_claim": marked["claim"],
        "obligations_duty": marked["fulfilment"].duty,
        "obligations_dutyfulfilment": marked["fulfilment"],
        "promos_promotion": marked["promotion"],
    }
    change = client.get(reverse(f"admin:{model}_change", args=[objects[model].pk]))
    assert change.status_code == 200
    assert_escaped(change.content.decode(), f"{model} change form")


def test_the_back_office_home_and_history_show_hostile_names_as_text(world, client_for, marked):
    client = client_for(world.a.tenant, world.a.manager)
    for url in (
        reverse("admin:index"),
        reverse("admin:partnerportal_partner_history", args=[world.a.partner.pk]),
        reverse("admin:benefits_claim_history", args=[marked["claim"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert_escaped(response.content.decode(), url)


def test_emails_carry_the_names_as_typed_in_text_and_escaped_in_html(world, marked):
    partner = world.a.partner
    with scopes_disabled():
        messages = [
            *partner_emails(
                partner=partner,
                template="emails/tier_changed",
                context={"assessment": marked["assessment"], "up": True},
                to=[world.a.admin.email],
            ),
            *partner_emails(
                partner=partner,
                template="benefits/emails/claim_decided",
                context={"claim": marked["claim"], "benefit": marked["benefit"]},
                to=[world.a.admin.email],
            ),
            *partner_emails(
                partner=partner,
                template="obligations/emails/decision",
                context={"fulfilment": marked["fulfilment"]},
                to=[world.a.admin.email],
            ),
        ]
        invitation = InvitationFactory(partner=partner, invited_by=world.a.admin)
        messages.append(
            portal_services._invitation_email(invitation=invitation, accept_url="https://x.test/")
        )

    for message in messages:
        assert "\n" not in message.subject and "\r" not in message.subject
        message.message()  # the headers are valid: no line break sneaks into the subject
        assert SCRIPT in message.body or SCRIPT in message.subject  # plain text: as typed, no &lt;
        assert "&lt;" not in message.body and "&amp;" not in message.body
        for content, mimetype in message.alternatives:
            assert mimetype == "text/html"
            assert_escaped(content, f"HTML alternative of {message.subject}")
            assert "&lt;script&gt;" in content


def test_a_subject_stays_one_line_whatever_the_name(world, marked):
    with scopes_disabled():
        Partner.objects.filter(pk=world.a.partner.pk).update(legal_name="Azur\r\nBcc: victim@example.test")
        world.a.partner.refresh_from_db()
        benefit = marked["benefit"]
        benefit.title = "Benefit\nBcc: victim@example.test"
        messages = partner_emails(
            partner=world.a.partner,
            template="benefits/emails/claim_decided",
            context={"claim": marked["claim"], "benefit": benefit},
            to=[world.a.admin.email],
        )
    (message,) = messages
    assert "\n" not in message.subject
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers


@pytest.mark.parametrize("kind", [Document.Kind.DIPLOMA, Document.Kind.WELCOME_PACK])
def test_pdfs_print_the_names_as_text(world, marked, kind):
    with scopes_disabled():
        document = document_services.document_issue(
            partner=world.a.partner, kind=kind, tier=marked["tier"], notify=False
        )
    text = pdf_text(pdf_of(document))
    assert SCRIPT in text  # the markup printed as characters, not interpreted (nor dropped)
    assert "&lt;" not in text


# --- too long, control characters --------------------------------------------------------------------------


def test_a_very_long_claim_note_is_a_form_error(world, client_for, marked):
    with scopes_disabled():
        benefit = BenefitFactory(
            tenant=world.a.tenant,
            from_tier=marked["tier"],
            claimable=True,
            partner_types=[world.a.partner_type],
        )
    client = client_for(world.a.tenant, world.a.admin)
    response = client.post(reverse("benefits:claim-create", args=[benefit.pk]), {"note": "x" * 100_000})
    assert response.status_code in (200, 302, 400)
    assert response.status_code != 500
    with scopes_disabled():
        assert not Claim.objects.filter(benefit=benefit).exists()


def test_a_very_long_or_controlled_company_name_is_a_form_error(world, client_for):
    client = client_for(world.a.tenant, world.a.admin)
    for trade_name, code in (("x" * 10_000, "max_length"), ("Azur\x07\x1b[31m", "control_character")):
        response = client.post(reverse("partnerportal:company"), {"trade_name": trade_name})
        assert response.status_code in (200, 400)
        assert response.context["form"].has_error("trade_name", code=code)
    world.a.partner.refresh_from_db()
    assert world.a.partner.trade_name == ""


@pytest.mark.parametrize(
    "name",
    ["Azur\nBcc: x@y.test", "Azur\x00", "Azur\x1b[2J", "Azur\u202egnp.exe", "Az\x85ur"],
    ids=["newline", "nul", "escape", "bidi-override", "c1"],
)
def test_control_characters_in_names_are_refused_naming_the_character(world, name):
    form_class = modelform_factory(Partner, fields=["legal_name", "trade_name", "city"])
    with tenant_scope(world.a.tenant):
        form = form_class({"legal_name": name, "trade_name": name, "city": name}, instance=world.a.partner)
        assert not form.is_valid()
    # NUL is refused by Django's own form field first, in its own words.
    codes = ("control_character", "null_characters_not_allowed")
    for field in ("legal_name", "trade_name", "city"):
        assert any(form.has_error(field, code=code) for code in codes)
    if "\x00" not in name:
        assert "U+" in form.errors["legal_name"][0]
    tenant_form = modelform_factory(type(world.a.tenant), fields=["name"])({"name": name})
    assert any(tenant_form.has_error("name", code=code) for code in codes)
    user_form = modelform_factory(User, fields=["first_name", "last_name"])(
        {"first_name": name, "last_name": "x"}
    )
    assert any(user_form.has_error("first_name", code=code) for code in codes)


def test_names_with_line_breaks_are_fine_in_descriptions_not_in_names():
    from partnerportal.validators import validate_multiline, validate_single_line

    validate_multiline("Line one\r\nLine two\tindented")
    with pytest.raises(ValidationError):
        validate_single_line("Line one\nLine two")
    with pytest.raises(ValidationError):
        validate_multiline("Bell\x07")
