"""The back-office, proven tenant by tenant: every URL under /admin/, taken from the URLconf, as every role.

Each tenant (A and B of the ``world`` fixture) gets one object of every model the back-office shows
(``BUILDERS``, one row per registered tenant model). Then:

- every URL pattern under ``admin/`` has an expected answer: the standard pages of each registered
  ModelAdmin by rule (``MODELS`` for the tenant's models, "the superuser only" for the platform's),
  the custom pages and the site's own pages by name or route (``CUSTOM``). A pattern without a rule or a
  row fails ``test_every_admin_url_has_an_expected_answer``;
- each is requested as anonymous (→ the admin's sign-in), A's partner admin and partner user (→ sign-in,
  never a page), A's manager (→ 200 on A's objects), B's manager on B's host with A's ids (→ 302 to the
  index or 404, never 200 with A's data) and the platform superuser;
- B's objects are absent from A's change lists, list filters, autocompletes and raw-id labels, and
  refused on POST (change and delete pages, actions, foreign keys of A's objects set to B's).
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.forms import ModelChoiceField
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from obligations.models import DevelopmentPlan, SalesForecast
from partnerportal import dashboard
from partnerportal.admin_site import TenantAdminMixin
from partnerportal.tenancy import tenant_owned_paths, tenant_scope
from promos.models import Quote
from tests.benefits.factories import BenefitFactory, ClaimFactory, assess
from tests.documents.factories import ContactFactory, DocumentFactory
from tests.experts.factories import admin_objects as experts_admin_objects
from tests.leads.factories import LeadFactory, ProductLineFactory, cover
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory
from tests.partnerportal.factories import InvitationFactory
from tests.promos.factories import OrderFlagFactory, ProductFactory, PromotionFactory
from tests.recruitment.factories import ApplicationFactory, MembershipCriterionFactory
from tests.tiers.factories import GradingPolicyFactory, RevenueEntryFactory, TierFactory, TierPinFactory
from tiers.models import Evaluation, ProposedAssessment, RevenueImport

LOGIN = "login"  # a redirect to the admin's sign-in
NOT_FOUND = {302, 404}  # Django's admin answers a missing object with a redirect to the index
ROLES = ["anonymous", "partner_admin", "partner_user", "manager", "other_manager", "superuser"]
PLATFORM_APPS = {"auth", "account", "mfa", "django_celery_beat", "usersessions"}


# --- one object of every model, per tenant -------------------------------------------------------------


def build_objects(setup) -> dict:
    """One object of each model the back-office shows, named after the tenant (``Alpha …``/``Bravo …``)."""
    name, tenant, partner = setup.tenant.name, setup.tenant, setup.partner
    objects = {
        "partnerportal.PartnerType": setup.partner_type,
        "partnerportal.OperatorPlan": setup.operator_plan,
        "partnerportal.Partner": partner,
        "partnerportal.Membership": setup.admin_membership,
        "partnerportal.Invitation": InvitationFactory(
            partner=partner, email=f"invited@{setup.tenant.slug}.test"
        ),
    }
    tier = TierFactory(tenant=tenant, code="gold", name=f"{name} Gold")
    assessment = assess(partner, tier, dt.date(2026, 1, 1))
    with scopes_disabled():  # test data across tenants
        proposed = Evaluation.objects.create(
            tenant=tenant,
            evaluation_date=dt.date(2026, 7, 1),
            window_start=dt.date(2026, 1, 1),
            window_end=dt.date(2026, 6, 30),
            status=Evaluation.Status.PROPOSED,
        )
        proposal = ProposedAssessment.objects.create(
            tenant=tenant,
            partner=partner,
            evaluation=proposed,
            evaluation_date=proposed.evaluation_date,
            window_start=proposed.window_start,
            window_end=proposed.window_end,
            months_counted=6,
            revenue=Decimal("0"),
            basis=Decimal("0"),
            computed_tier=tier,
            applied_tier=tier,
            reason=assessment.reason,
            movement=assessment.movement,
            applied_at=timezone.now(),
        )
        benefit = BenefitFactory(tenant=tenant, from_tier=tier, title=f"{name} benefit", claimable=True)
        duty = DutyFactory(tenant=tenant, title=f"{name} duty")
        objects.update(
            {
                "tiers.Tier": tier,
                "tiers.GradingPolicy": GradingPolicyFactory(tenant=tenant),
                "tiers.RevenueEntry": RevenueEntryFactory(partner=partner),
                "tiers.RevenueImport": RevenueImport.objects.create(tenant=tenant, filename=f"{name}.csv"),
                "tiers.Evaluation": proposed,
                "tiers.ProposedAssessment": proposal,
                "tiers.Assessment": assessment,
                "tiers.PartnerTier": partner.current_tier,
                "tiers.TierPin": TierPinFactory(partner=partner, tier=tier, reason=f"{name} pin"),
                "benefits.Benefit": benefit,
                "benefits.Claim": ClaimFactory(partner=partner, benefit=benefit),
                "obligations.Duty": duty,
                "obligations.DutyFulfilment": DutyFulfilmentFactory(
                    partner=partner, duty=duty, state="submitted"
                ),
                "obligations.DevelopmentPlan": DevelopmentPlan.objects.create(
                    tenant=tenant, partner=partner, year=2026
                ),
                "obligations.SalesForecast": SalesForecast.objects.create(
                    tenant=tenant,
                    partner=partner,
                    quarter_start=dt.date(2026, 7, 1),
                    product_line="data",
                    amount=Decimal("1000"),
                ),
                "promos.Product": ProductFactory(
                    tenant=tenant, code=f"{name.upper()}-1", name=f"{name} product"
                ),
                "promos.OrderFlag": OrderFlagFactory(tenant=tenant, name=f"{name} flag"),
                "promos.Promotion": PromotionFactory(tenant=tenant, min_tier=tier, title=f"{name} promotion"),
                "promos.Quote": Quote.objects.create(
                    tenant=tenant,
                    partner=partner,
                    reference=f"DEV-{name.upper()}",
                    priced_on=dt.date(2026, 7, 1),
                    monthly_total=Decimal("0"),
                    one_off_total=Decimal("9.00"),
                ),
                "documents.Document": DocumentFactory(partner=partner),
                "documents.Contact": ContactFactory(tenant=tenant, title=f"{name} support"),
                **experts_admin_objects(setup, tier),
                "leads.ProductLine": ProductLineFactory(tenant=tenant, name=f"{name} product line"),
                "leads.LeadCoverage": cover(partner),
                "leads.Lead": LeadFactory(tenant=tenant, customer=f"{name} lead customer"),
                "recruitment.MembershipCriterion": MembershipCriterionFactory(
                    tenant=tenant, title=f"{name} criterion"
                ),
                "recruitment.Application": ApplicationFactory(
                    partner__tenant=tenant,
                    partner__partner_type=setup.partner_type,
                    partner__legal_name=f"{name} applicant",
                ),
            }
        )
    return objects


@dataclass(frozen=True)
class Row:
    """What A's manager and the superuser get on a tenant model's add and delete pages (change lists,
    change pages and histories answer 200 to both)."""

    add: tuple[int, int] = (200, 200)  # (manager, superuser)
    delete: int = 200


READ_ONLY = Row(add=(403, 403), delete=403)
MODELS = {
    "partnerportal.PartnerType": Row(),
    "partnerportal.OperatorPlan": Row(),
    "partnerportal.Partner": Row(),
    "partnerportal.Membership": Row(add=(403, 200)),  # people join through invitations
    "partnerportal.Invitation": Row(),
    "tiers.Tier": Row(),
    "tiers.GradingPolicy": Row(),
    "tiers.RevenueEntry": Row(),
    "tiers.RevenueImport": READ_ONLY,
    "tiers.Evaluation": READ_ONLY,
    "tiers.Assessment": READ_ONLY,
    "tiers.PartnerTier": READ_ONLY,
    "tiers.TierPin": Row(),
    "benefits.Benefit": Row(),
    "benefits.Claim": READ_ONLY,
    "obligations.Duty": Row(),
    "obligations.DutyFulfilment": READ_ONLY,
    "obligations.DevelopmentPlan": READ_ONLY,
    "obligations.SalesForecast": READ_ONLY,
    "promos.Product": Row(),
    "promos.OrderFlag": Row(),
    "promos.Promotion": Row(),
    "promos.Quote": Row(add=(403, 403)),  # priced by the calculator
    "documents.Document": READ_ONLY,
    "documents.Contact": Row(),
    "experts.ExpertProgramme": Row(),
    "experts.Speciality": Row(),
    "experts.CertificationTest": Row(),
    "experts.Question": Row(),
    "experts.Expert": Row(add=(403, 403)),  # partners apply in the portal
    "experts.Attempt": READ_ONLY,
    "experts.Assignment": Row(delete=403),  # a record of the expert's service: cancelled, never deleted
    "leads.ProductLine": Row(),
    "leads.LeadCoverage": Row(),
    "leads.Lead": Row(),
    "recruitment.MembershipCriterion": Row(),
    "recruitment.Application": READ_ONLY,  # from the public form; decided through the vetting pages
}


@dataclass
class Setting:
    world: object
    a: dict
    b: dict
    history: dict = field(default_factory=dict)  # label -> an A object's historical record id


@pytest.fixture
def setting(world) -> Setting:
    a, b = build_objects(world.a), build_objects(world.b)
    history = {}
    with scopes_disabled():
        for label, obj in a.items():
            manager = getattr(type(obj), "history", None)
            if manager is not None and hasattr(manager, "model"):
                record = manager.model.objects.filter(**{type(obj)._meta.pk.attname: obj.pk}).first()
                if record is not None:
                    history[label] = record.history_id
    return Setting(world=world, a=a, b=b, history=history)


# --- the expected answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A request and its expected answer per role (a status, a set of statuses, or LOGIN)."""

    path: Callable[[Setting], str]
    expected: dict
    method: str = "get"


def everyone_else(manager, other_manager=None, superuser=None, *, public=False) -> dict:
    outsider = 200 if public else LOGIN
    return {
        "anonymous": outsider,
        "partner_admin": outsider,
        "partner_user": outsider,
        "manager": manager,
        "other_manager": manager if other_manager is None else other_manager,
        "superuser": manager if superuser is None else superuser,
    }


def a_pk(label: str, attribute: str = "pk") -> Callable[[Setting], object]:
    return lambda s: getattr(s.a[label], attribute)


def admin_url(name: str, *args: Callable[[Setting], object], query: str = "") -> Callable[[Setting], str]:
    return lambda s: reverse(f"admin:{name}", args=[arg(s) for arg in args]) + query


CUSTOM = {
    # The site's own pages, by name.
    "index": Case(admin_url("index"), everyone_else(200)),
    "login": Case(
        admin_url("login"),
        {**everyone_else(302), "anonymous": 302, "partner_admin": 403, "partner_user": 403},
    ),
    # POST only; Django sends an outsider back to the index (then to sign in), never signs anyone out.
    "logout": Case(
        admin_url("logout"),
        {**everyone_else(405), "anonymous": 302, "partner_admin": 302, "partner_user": 302},
    ),
    "password_change": Case(admin_url("password_change"), everyone_else(200)),
    "password_change_done": Case(admin_url("password_change_done"), everyone_else(200)),
    "jsi18n": Case(admin_url("jsi18n"), everyone_else(200)),
    "autocomplete": Case(
        admin_url(
            "autocomplete", query="?app_label=partnerportal&model_name=membership&field_name=partner&term="
        ),
        everyone_else(200),
    ),
    "view_on_site": Case(
        lambda s: reverse(
            "admin:view_on_site",
            args=[
                ContentType.objects.get_for_model(s.a["partnerportal.Partner"]).pk,
                s.a["partnerportal.Partner"].pk,
            ],
        ),
        everyone_else(404),  # no model has a public page
    ),
    "auth_user_password_change": Case(
        lambda s: reverse("admin:auth_user_password_change", args=[s.world.superuser.pk]),
        everyone_else(403, 403, 200),  # the platform's people: the superuser only
    ),
    "branding-css": Case(admin_url("branding-css"), everyone_else(200, public=True)),
    # The custom views of the apps' ModelAdmins, on A's objects.
    "tiers_revenueentry_import": Case(admin_url("tiers_revenueentry_import"), everyone_else(200)),
    "tiers_evaluation_preview": Case(admin_url("tiers_evaluation_preview"), everyone_else(200)),
    "tiers_evaluation_proposal": Case(
        admin_url("tiers_evaluation_proposal", a_pk("tiers.Evaluation")), everyone_else(200, 404)
    ),
    "tiers_evaluation_override": Case(
        admin_url("tiers_evaluation_override", a_pk("tiers.Evaluation"), a_pk("tiers.ProposedAssessment")),
        everyone_else(200, 404),
    ),
    "benefits_claim_approve": Case(
        admin_url("benefits_claim_approve", a_pk("benefits.Claim")), everyone_else(302, 302)
    ),
    "benefits_claim_fulfil": Case(
        admin_url("benefits_claim_fulfil", a_pk("benefits.Claim")), everyone_else(302, 302)
    ),
    "benefits_claim_refuse": Case(
        admin_url("benefits_claim_refuse", a_pk("benefits.Claim")), everyone_else(200, 404)
    ),
    "obligations_dutyfulfilment_approve": Case(
        admin_url("obligations_dutyfulfilment_approve", a_pk("obligations.DutyFulfilment")),
        everyone_else(302, 404),
    ),
    "obligations_dutyfulfilment_refuse": Case(
        admin_url("obligations_dutyfulfilment_refuse", a_pk("obligations.DutyFulfilment")),
        everyone_else(200, 404),
    ),
    "obligations_dutyfulfilment_waive": Case(
        admin_url("obligations_dutyfulfilment_waive", a_pk("obligations.DutyFulfilment")),
        everyone_else(200, 404),
    ),
    "promos_quote_calculator": Case(
        lambda s: reverse("admin:promos_quote_calculator") + f"?quote={s.a['promos.Quote'].pk}",
        everyone_else(200, 404),
    ),
    "documents_document_generate": Case(admin_url("documents_document_generate"), everyone_else(200)),
    "documents_document_download": Case(
        admin_url("documents_document_download", a_pk("documents.Document")), everyone_else(200, 404)
    ),
    "leads_lead_import": Case(admin_url("leads_lead_import"), everyone_else(200)),
    "leads_lead_conversion": Case(admin_url("leads_lead_conversion"), everyone_else(200)),
    "leads_lead_assign": Case(admin_url("leads_lead_assign", a_pk("leads.Lead")), everyone_else(200, 404)),
    "recruitment_application_vet": Case(
        admin_url("recruitment_application_vet", a_pk("recruitment.Application")), everyone_else(200, 404)
    ),
    "recruitment_application_accept": Case(
        admin_url("recruitment_application_accept", a_pk("recruitment.Application")), everyone_else(302, 302)
    ),
    "recruitment_application_refuse": Case(
        admin_url("recruitment_application_refuse", a_pk("recruitment.Application")), everyone_else(200, 404)
    ),
}
# POSTs that change an object of A: B's manager gets a 404, and the object is unchanged.
DECISIONS = [
    ("benefits_claim_approve", "benefits.Claim", {}),
    ("benefits_claim_fulfil", "benefits.Claim", {}),
    ("benefits_claim_refuse", "benefits.Claim", {"reason": "no"}),
    ("obligations_dutyfulfilment_approve", "obligations.DutyFulfilment", {}),
    ("obligations_dutyfulfilment_refuse", "obligations.DutyFulfilment", {"reason": "no"}),
    ("obligations_dutyfulfilment_waive", "obligations.DutyFulfilment", {"reason": "no"}),
    ("recruitment_application_vet", "recruitment.Application", {}),
    ("recruitment_application_accept", "recruitment.Application", {}),
    ("recruitment_application_refuse", "recruitment.Application", {"reason": "no"}),
]
STANDARD_VIEWS = ("changelist", "add", "change", "delete", "history", "simple_history")


def admin_patterns() -> list[tuple[str, str | None]]:
    """(route, name) of every URL pattern under admin/, from the URLconf."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("admin/"):
                found.append((route, pattern.name))

    walk(get_resolver().url_patterns, "")
    return found


def registered(model_admin_type=None) -> dict[str, tuple]:
    """``app_model`` -> (model, model_admin) of every registered ModelAdmin."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": (m, ma) for m, ma in admin.site._registry.items()}


def classify(route: str, name: str | None) -> tuple[str, object]:
    """("standard", (model, model_admin, view)), ("object", (model, model_admin)), ("app_list", None),
    ("dashboard", None), ("catch_all", None), ("custom", name) or ("unknown", route)."""
    models = registered()
    if name and name in CUSTOM:
        return "custom", name
    if name:
        for key, (model, model_admin) in models.items():
            for view in STANDARD_VIEWS:
                if name == f"{key}_{view}":
                    return "standard", (model, model_admin, view)
    if name == "app_list":
        return "app_list", None
    if name == "dashboard-list":
        return "dashboard", None
    if name is None and route == "admin/(?P<url>.*)$":
        return "catch_all", None
    if name is None and route.endswith("/<path:object_id>/"):
        for model, model_admin in models.values():
            if route == f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/":
                return "object", (model, model_admin)
    return "unknown", route


def test_every_admin_url_has_an_expected_answer():
    unknown = [arg for kind, arg in (classify(r, n) for r, n in admin_patterns()) if kind == "unknown"]
    assert not unknown, f"admin URLs without a rule or a row in CUSTOM: {unknown}"
    tenant_models = {
        m._meta.label for m, ma in admin.site._registry.items() if isinstance(ma, TenantAdminMixin)
    }
    assert tenant_models == set(MODELS), "every tenant ModelAdmin needs a row in MODELS and a builder"
    named = {n for _r, n in admin_patterns()}
    assert set(CUSTOM) <= named, f"rows for URLs that do not exist: {set(CUSTOM) - named}"


def standard_case(model, model_admin, view: str) -> Case:
    label = model._meta.label
    if not isinstance(model_admin, TenantAdminMixin):
        # Platform models: the superuser only. Their pages are read without an object of A.
        args = (lambda s: []) if view in ("changelist", "add") else None
        if args is None:
            ids = {
                "partnerportal.User": lambda s: [s.world.superuser.pk],
                "partnerportal.Tenant": lambda s: [s.world.a.tenant.pk],
            }
            if label not in ids or view == "simple_history":
                return None
            args = ids[label]
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
        return Case(lambda s: reverse(name, args=args(s)), everyone_else(403, 403, 200))
    row = MODELS[label]
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
    if view == "changelist":
        return Case(lambda s: reverse(name), everyone_else(200))
    if view == "add":
        manager, superuser = row.add
        return Case(lambda s: reverse(name), everyone_else(manager, manager, superuser))
    if view == "simple_history":
        return Case(
            lambda s: reverse(name, args=[s.a[label].pk, s.history[label]]), everyone_else(200, NOT_FOUND)
        )
    expected = row.delete if view == "delete" else 200
    return Case(lambda s: reverse(name, args=[s.a[label].pk]), everyone_else(expected, NOT_FOUND | {403}))


def all_cases() -> dict[str, Case]:
    cases = {}
    for route, name in admin_patterns():
        kind, arg = classify(route, name)
        if kind == "custom":
            cases[name] = CUSTOM[name]
        elif kind == "standard":
            case = standard_case(*arg)
            if case is not None:
                cases[name] = case
        elif kind == "object":
            model, model_admin = arg
            label = model._meta.label
            prefix = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            if isinstance(model_admin, TenantAdminMixin):
                cases[route] = Case(lambda s, p=prefix, lb=label: f"{p}{s.a[lb].pk}/", everyone_else(302))
        elif kind == "app_list":
            for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
                manager = 404 if app_label in PLATFORM_APPS else 200
                cases[f"app_list {app_label}"] = Case(
                    lambda s, a=app_label: reverse("admin:app_list", args=[a]),
                    everyone_else(manager, manager, 200),
                )
        elif kind == "dashboard":
            for entry in dashboard.lists():
                url = reverse("admin:dashboard-list", args=[entry.slug])
                cases[f"dashboard {entry.slug}"] = Case(lambda s, u=url: u, everyone_else(200))
                cases[f"dashboard {entry.slug} csv"] = Case(
                    lambda s, u=url: u + "?export=csv", everyone_else(200)
                )
        elif kind == "catch_all":
            cases[route] = Case(lambda s: "/admin/nothing-here/", everyone_else(404))
    return cases


# --- the walk ------------------------------------------------------------------------------------------


def role_client(role: str, world, client_for):
    return {
        "anonymous": lambda: client_for(world.a.tenant),
        "partner_admin": lambda: client_for(world.a.tenant, world.a.admin),
        "partner_user": lambda: client_for(world.a.tenant, world.a.sales),
        "manager": lambda: client_for(world.a.tenant, world.a.manager),
        "other_manager": lambda: client_for(world.b.tenant, world.b.manager),
        "superuser": lambda: client_for(world.a.tenant, world.superuser),
    }[role]()


def markers_of(setup) -> list[str]:
    """Text that shows a tenant's data: its name (in every object's name above) and its people."""
    return [
        setup.tenant.name,
        setup.partner.legal_name,
        setup.other_partner.legal_name,
        setup.admin.email,
        setup.manager.email,
    ]


def matches(expected, response) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    if isinstance(expected, set):
        return response.status_code in expected
    return response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_answers_each_role_as_expected(role, setting, client_for):
    world = setting.world
    client = role_client(role, world, client_for)
    # Who may not see A's data here: everyone but A's manager and the superuser.
    foreign = markers_of(world.a) if role == "other_manager" else []
    if role == "manager":
        foreign = markers_of(world.b)
    failures = []
    for key, case in sorted(all_cases().items()):
        path = case.path(setting)
        response = client.post(path) if case.method == "post" else client.get(path)
        expected = case.expected[role]
        if not matches(expected, response):
            failures.append(f"{key} {path}: expected {expected}, got {response.status_code}")
            continue
        if response.status_code == 200 and foreign and not getattr(response, "streaming", False):
            content = response.content.decode(errors="replace")
            shown = [marker for marker in foreign if marker in content]
            if shown:
                failures.append(f"{key} {path} shows {shown}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url_name, label, data", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_another_tenants_manager_cannot_decide_on_a_tenants_object(
    setting, client_for, url_name, label, data
):
    obj = setting.a[label]
    before = snapshot(type(obj), obj.pk)

    response = client_for(setting.world.b.tenant, setting.world.b.manager).post(
        reverse(f"admin:{url_name}", args=[obj.pk]), data
    )

    assert response.status_code == 404
    assert snapshot(type(obj), obj.pk) == before


# --- change lists, list filters, autocompletes, raw-id labels ----------------------------------------------


def snapshot(model, pk=None):
    with scopes_disabled():
        queryset = model._default_manager.order_by("pk")
        return list((queryset.filter(pk=pk) if pk is not None else queryset).values())


TENANT_PATHS = dict(tenant_owned_paths())


def pks_of_tenant(model, tenant) -> set[str]:
    """The pks of ``model`` that belong to ``tenant`` only (users: people of that tenant and no other)."""
    with scopes_disabled():
        if model is get_user_model():
            theirs = set(model.objects.filter(memberships__tenant=tenant).values_list("pk", flat=True))
            others = set(model.objects.exclude(memberships__tenant=tenant).values_list("pk", flat=True))
            return {str(pk) for pk in theirs - others}
        path = TENANT_PATHS.get(model)
        if path is None:
            return set()
        return {
            str(pk) for pk in model._default_manager.filter(**{path: tenant}).values_list("pk", flat=True)
        }


TENANT_ADMINS = sorted(
    ((m, ma) for m, ma in admin.site._registry.items() if isinstance(ma, TenantAdminMixin)),
    key=lambda item: item[0]._meta.label,
)


@pytest.mark.parametrize("item", TENANT_ADMINS, ids=lambda item: item[0]._meta.label)
def test_another_tenants_objects_are_absent_from_the_list_and_its_filters(setting, client_for, item):
    model, model_admin = item
    world = setting.world
    client = client_for(world.a.tenant, world.a.manager)

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code == 200
    cl = response.context["cl"]
    shown = {str(obj.pk) for obj in cl.result_list}
    assert shown, "A's object should be listed"
    assert not shown & pks_of_tenant(model, world.b.tenant)
    for spec in cl.filter_specs:
        related = getattr(getattr(spec, "field", None), "related_model", None)
        if related is None or not hasattr(spec, "lookup_choices"):
            continue
        offered = {str(pk) for pk, _label in spec.lookup_choices}
        assert not offered & pks_of_tenant(related, world.b.tenant), f"filter {spec.field_path} offers B's"
    content = response.content.decode()
    for marker in markers_of(world.b):
        assert marker not in content


def autocomplete_sources() -> list[tuple]:
    """Every (model, field) whose related model's admin can be searched: what autocomplete may serve."""
    sources = []
    for model, _model_admin in TENANT_ADMINS:
        for relation in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            remote = relation.related_model if relation.is_relation else None
            remote_admin = admin.site._registry.get(remote)
            if remote_admin is not None and remote_admin.search_fields and relation.name != "tenant":
                sources.append((model, relation))
    return sources


@pytest.mark.parametrize(
    "model, field", autocomplete_sources(), ids=lambda v: getattr(v, "name", None) or v._meta.label
)
def test_autocomplete_offers_no_object_of_another_tenant(setting, client_for, model, field):
    world = setting.world
    client = client_for(world.a.tenant, world.a.manager)
    params = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field.name,
    }

    everything = client.get(reverse("admin:autocomplete"), {**params, "term": ""})
    searched = client.get(reverse("admin:autocomplete"), {**params, "term": world.b.tenant.name})

    if not isinstance(admin.site._registry[field.related_model], TenantAdminMixin):
        assert everything.status_code == searched.status_code == 403  # the platform's people: refused
        return
    assert everything.status_code == 200
    theirs = pks_of_tenant(field.related_model, world.b.tenant)
    assert theirs, "B has an object to leak"
    assert not {r["id"] for r in json.loads(everything.content)["results"]} & theirs
    assert not {r["id"] for r in json.loads(searched.content)["results"]} & theirs


def foreign_keys(model, model_admin) -> list:
    return [
        f
        for f in model._meta.concrete_fields
        if f.many_to_one and f.editable and f.name != "tenant" and f.name not in model_admin.readonly_fields
    ]


def b_object_of(setting, related_model):
    if related_model is get_user_model():
        return setting.world.b.manager
    for obj in setting.b.values():
        if type(obj) is related_model:
            return obj
    return None


@pytest.mark.parametrize("item", TENANT_ADMINS, ids=lambda item: item[0]._meta.label)
def test_raw_id_labels_name_no_object_of_another_tenant(setting, client_for, item, monkeypatch):
    """No back-office page uses raw_id_fields today: each foreign key is made one, so that a new one
    cannot show the label of B's object next to its field."""
    model, model_admin = item
    fields = [f for f in foreign_keys(model, model_admin) if b_object_of(setting, f.related_model)]
    if not fields:
        pytest.skip("no foreign key to another tenant's object")
    monkeypatch.setattr(model_admin, "raw_id_fields", [f.name for f in fields])
    monkeypatch.setattr(model_admin, "autocomplete_fields", [])
    obj = setting.a[model._meta.label]
    request = type("Request", (), {"user": setting.world.a.manager, "tenant": setting.world.a.tenant})()

    with tenant_scope(setting.world.a.tenant):
        form = model_admin.get_form(request, obj)(instance=obj)
        for f in fields:
            widget = form.fields[f.name].widget if f.name in form.fields else None
            if not isinstance(widget, ForeignKeyRawIdWidget):
                continue
            theirs = b_object_of(setting, f.related_model)
            label, link = widget.label_and_url_for_value(theirs.pk)
            assert (label, link) == ("", ""), f"{f.name}: B's {theirs} is named"
            if getattr(obj, f.attname) is not None:
                mine = widget.label_and_url_for_value(getattr(obj, f.attname))
                assert mine[0], f"{f.name}: A's own value should be named"


@pytest.mark.parametrize("item", TENANT_ADMINS, ids=lambda item: item[0]._meta.label)
def test_a_foreign_key_set_to_another_tenants_object_is_a_form_error(setting, item):
    model, model_admin = item
    obj = setting.a[model._meta.label]
    request = type("Request", (), {"user": setting.world.a.manager, "tenant": setting.world.a.tenant})()
    checked = 0
    with tenant_scope(setting.world.a.tenant):
        form_class = model_admin.get_form(request, obj)
        initial = form_class(instance=obj).initial
        for name, form_field in form_class.base_fields.items():
            if not isinstance(form_field, ModelChoiceField) or name == "tenant":
                continue
            theirs = b_object_of(setting, form_field.queryset.model)
            if theirs is None:
                continue
            value = [theirs.pk] if form_field.__class__.__name__.startswith("ModelMultiple") else theirs.pk
            form = form_class(data={**serialise(initial), name: value}, instance=obj)
            assert not form.is_valid() and name in form.errors, f"{name} accepts B's {theirs}"
            checked += 1
    if not checked:
        pytest.skip("no choice of another tenant's object")


def serialise(initial: dict) -> dict:
    data = {}
    for key, value in initial.items():
        if value is None:
            continue
        if isinstance(value, list):
            data[key] = [getattr(v, "pk", v) for v in value]
        else:
            data[key] = getattr(value, "pk", value)
    return data


# --- POST refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", TENANT_ADMINS, ids=lambda item: item[0]._meta.label)
def test_another_tenants_object_is_refused_on_post(setting, client_for, item):
    """A's manager posts to B's object's change and delete pages and selects it for every action."""
    model, _model_admin = item
    world = setting.world
    client = client_for(world.a.tenant, world.a.manager)
    theirs = setting.b[model._meta.label]
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    before = snapshot(model)

    change = client.post(reverse(f"admin:{info}_change", args=[theirs.pk]), {"post": "yes"})
    delete = client.post(reverse(f"admin:{info}_delete", args=[theirs.pk]), {"post": "yes"})
    changelist = reverse(f"admin:{info}_changelist")
    action_form = client.get(changelist).context["action_form"]
    actions = [n for n, _l in action_form.fields["action"].choices if n] if action_form else []
    for action in actions:
        response = client.post(changelist, {"action": action, "_selected_action": [theirs.pk], "post": "yes"})
        assert response.status_code in (200, 302), (action, response.status_code)

    assert change.status_code in (302, 403, 404)
    assert delete.status_code in (302, 403, 404)
    assert snapshot(model) == before
    content = change.content.decode() + delete.content.decode()
    assert not any(re.search(re.escape(m), content) for m in markers_of(world.b))
