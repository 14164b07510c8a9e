"""Back-office of the promotions: the price list, order flags, promotions and their rules, the quotes, and
the calculator that prices a basket for any partner of the tenant with the portal's engine.

Rules are validated by ``PromotionRule.clean()`` with the tenant of their promotion (admin_forms.py); a
quote is a record of the prices of its day, so it is read and deleted here, never edited; the calculator
reads through ``selectors.basket_price`` and saves through ``services.quote_create``, like the portal.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.forms import CheckboxSelectMultiple
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from partnerportal.admin_input import refusing_malformed_choices
from partnerportal.admin_site import ReadOnlyMixin, TenantAdminMixin, TenantInlineMixin
from partnerportal.formatting import date_format, money
from partnerportal.models import PartnerType

from . import selectors, services
from .admin_forms import (
    CalculatorForm,
    ParentTenantInlineFormSet,
    ProductAdminForm,
    ProductPriceForm,
    PromotionAdminForm,
    PromotionRuleForm,
    basket_formset,
    is_id,
    product_choices,
    rules_naming,
)
from .effects import stored_effect
from .models import OrderFlag, Product, ProductPrice, Promotion, PromotionRule, Quote, QuoteLine

# --- the price list ------------------------------------------------------------------------------------


class ProductPriceInline(TenantInlineMixin, admin.TabularInline):
    model = ProductPrice
    form = ProductPriceForm
    formset = ParentTenantInlineFormSet
    fields = ["partner_type", "list_price"]
    extra = 0

    def partner_types(self, request, obj=None):
        tenant = obj.tenant if obj is not None and obj.tenant_id else request.tenant
        return list(PartnerType.objects.filter(tenant=tenant).order_by("position", "name"))

    def get_extra(self, request, obj=None, **kwargs):
        return len(self.missing_types(request, obj))

    def get_max_num(self, request, obj=None, **kwargs):
        return len(self.partner_types(request, obj))

    def missing_types(self, request, obj=None) -> list[PartnerType]:
        """The partner types the product has no price for yet: one empty row each, its type chosen."""
        priced = (
            set(obj.prices.values_list("partner_type_id", flat=True)) if obj is not None and obj.pk else set()
        )
        return [t for t in self.partner_types(request, obj) if t.pk not in priced]


def price_column(partner_type: PartnerType):
    """A change-list column with the product's list price for one partner type (prices are prefetched)."""

    @admin.display(description=partner_type.name)
    def column(product):
        price = next(
            (p.list_price for p in product.prices.all() if p.partner_type_id == partner_type.pk), None
        )
        return None if price is None else money(price)  # None: the admin's empty value, not "0 €"

    column.__name__ = f"price_{partner_type.code}"
    return column


@admin.display(description=_("list prices"))
def list_prices(product):
    """The superuser's list spans tenants, each with its own partner types: one column for them all."""
    return format_html_join(
        ", ", "{}: {}", ((p.partner_type, money(p.list_price)) for p in product.prices.all())
    )


@admin.register(Product)
class ProductAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["code", "name", "family_and_subfamily", "unit", "billing", "demo_value", "is_active"]
    list_filter = ["family", "billing", "demo_value", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["tenant"]
    inlines = [ProductPriceInline]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "name", "description"]}),
        (
            _("Catalogue"),
            {"fields": ["family", "subfamily", "unit", "billing", "position", "is_active", "demo_value"]},
        ),
    ]

    class Media:
        css = {"all": ["promos/admin.css"]}

    def get_queryset(self, request):
        prices = ProductPrice.objects.select_related("partner_type").order_by("partner_type__position")
        return super().get_queryset(request).prefetch_related(Prefetch("prices", queryset=prices))

    @admin.display(description=_("family / sub-family"), ordering="family")
    def family_and_subfamily(self, product):
        # One column for both keeps the list (and its price columns) within a laptop's width.
        if not product.subfamily:
            return product.get_family_display()
        return format_html(
            '{}<span class="promo-sub">{}</span>',
            product.get_family_display(),
            product.get_subfamily_display(),
        )

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if request.user.is_superuser:
            columns = [list_prices]
        else:
            types = PartnerType.objects.filter(tenant=request.tenant).order_by("position", "name")
            columns = [price_column(t) for t in types]
        at = display.index("demo_value")
        return [*display[:at], *columns, *display[at:]]

    def get_deleted_objects(self, objs, request):
        # Rules name products by code (text, not a foreign key): a product a rule names is protected like
        # one a subscription rule points to, on the delete page and in the bulk action alike.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        by_tenant: dict[int, list[str]] = {}
        for product in objs:
            by_tenant.setdefault(product.tenant_id, []).append(product.code)
        for tenant_id, codes in by_tenant.items():
            protected = [
                *protected,
                *(
                    _("%(promotion)s: rule “%(rule)s”") % {"promotion": rule.promotion, "rule": rule}
                    for rule in rules_naming(tenant_id=tenant_id, codes=codes)
                ),
            ]
        return deleted, counts, perms_needed, protected

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ProductPriceInline):
            # Extra rows come with their partner type: an untouched row (no price) is skipped.
            kwargs["initial"] = [{"partner_type": t.pk} for t in inline.missing_types(request, obj)]
        return kwargs


@admin.register(OrderFlag)
class OrderFlagAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "description", "position"]
    search_fields = ["name", "code"]
    fields = ["tenant", "code", "name", "description", "position"]


# --- promotions and their rules -----------------------------------------------------------------------


class PromotionRuleInline(TenantInlineMixin, admin.StackedInline):
    model = PromotionRule
    form = PromotionRuleForm
    formset = ParentTenantInlineFormSet
    template = "admin/promos/promotion/rules_inline.html"
    classes = ["promo-rules"]
    fields = [
        ("kind", "position"),
        "targets",
        "excluded",
        "conditions",
        "match",
        ("unit_price", "percent"),
        "steps",
        ("unlocked_by", "flag"),
    ]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and obj.pk else 1


@admin.register(Promotion)
class PromotionAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = PromotionAdminForm
    list_display = [
        "title",
        "code",
        "min_tier",
        "partner_type_names",
        "validity",
        "quarter_condition",
        "stacks",
        "is_active",
        "rule_count",
    ]
    list_filter = [
        "is_active",
        "stackable",
        "quarter_basis",
        ("min_tier", admin.RelatedOnlyFieldListFilter),
        ("partner_types", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["min_tier", "tenant"]
    search_fields = ["title", "code", "description"]
    inlines = [PromotionRuleInline]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "title", "description", "position", "is_active"]}),
        (_("Who gets it"), {"fields": ["min_tier", "partner_types"]}),
        (
            _("When"),
            {"fields": ["valid_from", "valid_until", "quarter_basis", "quarter_minimum", "stackable"]},
        ),
    ]

    class Media:
        css = {"all": ["promos/admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(rule_count=Count("rules", distinct=True))
            .prefetch_related("partner_types")
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "partner_types":
            kwargs["widget"] = CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("partner types"))
    def partner_type_names(self, promotion):
        # One per line: the column stays narrow enough for the list to fit beside its filters.
        return format_html_join(mark_safe("<br>"), "{}", ((t,) for t in promotion.partner_types.all())) or _(
            "All"
        )

    @admin.display(description=_("validity"), ordering="valid_from")
    def validity(self, promotion):
        start = date_format(promotion.valid_from, "SHORT_DATE_FORMAT") if promotion.valid_from else ""
        end = date_format(promotion.valid_until, "SHORT_DATE_FORMAT") if promotion.valid_until else ""
        if start and end:
            return _("%(start)s to %(end)s") % {"start": start, "end": end}
        if start:
            return _("from %(start)s") % {"start": start}
        if end:
            return _("until %(end)s") % {"end": end}
        return _("always")

    @admin.display(description=_("quarterly condition"), ordering="quarter_minimum")
    def quarter_condition(self, promotion):
        if not promotion.quarter_basis:
            return "—"
        return _("%(basis)s ≥ %(minimum)s") % {
            "basis": promotion.get_quarter_basis_display(),
            "minimum": money(promotion.quarter_minimum),
        }

    @admin.display(description=_("stacks"), boolean=True, ordering="stackable")
    def stacks(self, promotion):
        return promotion.stackable

    @admin.display(description=_("rules"), ordering="rule_count")
    def rule_count(self, promotion):
        return promotion.rule_count


# --- quotes and the calculator --------------------------------------------------------------------------


class QuoteLineInline(ReadOnlyMixin, TenantInlineMixin, admin.TabularInline):
    """The lines of a quote as they were priced: read only."""

    model = QuoteLine
    fields = [
        "code",
        "name",
        "quantity",
        "list_unit_price",
        "promotions_applied",
        "unit_price",
        "total",
        "billing",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("promotions applied"))
    def promotions_applied(self, line):
        if not line.promotions:
            return "—"
        effects = (stored_effect(p) for p in line.promotions if isinstance(p, dict))
        return format_html_join(
            "",
            '<span class="promo-applied"><span class="promo-applied__title">{}</span>{}</span>',
            ((e.title, mark_safe(e.render())) for e in effects),  # noqa: S308 (our template, escaped)
        )


@admin.register(Quote)
class QuoteAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "partner",
        "title",
        "priced_on",
        "tier",
        "monthly",
        "one_off",
        "created_by",
    ]
    list_filter = [("tier", admin.RelatedOnlyFieldListFilter), "priced_on"]
    list_select_related = ["partner", "tier", "created_by", "tenant"]
    search_fields = [
        "reference",
        "title",
        "partner__external_ref",
        "partner__legal_name",
        "partner__trade_name",
    ]
    date_hierarchy = "priced_on"
    fields = [
        "tenant",
        "reference",
        "partner",
        "title",
        "priced_on",
        "tier",
        "flag_names",
        "monthly_total",
        "one_off_total",
        "created_by",
        "created_at",
    ]
    readonly_fields = ["flag_names", "created_at"]
    inlines = [QuoteLineInline]
    change_list_template = "admin/promos/quote/change_list.html"
    change_form_template = "admin/promos/quote/change_form.html"

    class Media:
        css = {"all": ["promos/admin.css"]}

    def has_add_permission(self, request):
        return False  # quotes are priced by the engine: the calculator, the portal, ``manage.py quote``

    def has_change_permission(self, request, obj=None):
        return False  # a quote is a record of the prices of its day

    # Short headers: the fields' names ("monthly total excl. VAT (€)") would widen the list past a screen.
    @admin.display(description=_("per month"), ordering="monthly_total")
    def monthly(self, quote):
        return money(quote.monthly_total)

    @admin.display(description=_("one-off"), ordering="one_off_total")
    def one_off(self, quote):
        return money(quote.one_off_total)

    @admin.display(description=_("order flags"))
    def flag_names(self, quote):
        if not quote.flags:
            return "—"
        names = dict(OrderFlag.objects.filter(tenant_id=quote.tenant_id).values_list("code", "name"))
        return ", ".join(names.get(code, code) for code in quote.flags)

    def get_urls(self):
        return [
            path(
                "calculator/",
                self.admin_site.admin_view(self.calculator_view),
                name="promos_quote_calculator",
            ),
            *super().get_urls(),
        ]

    def calculator_view(self, request):
        """Price a basket for a partner of the host's tenant; optionally save it as the partner's quote."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tenant = request.tenant
        initial, rows = {"as_of": tenant.today()}, []
        if request.method != "POST":
            initial, rows = self._calculator_initial(request, initial)
        data = request.POST if request.method == "POST" else None
        form = refusing_malformed_choices(CalculatorForm)(
            data, initial=initial, tenant=tenant, admin_site=self.admin_site
        )
        basket = basket_formset(filled=len(rows))(
            data, initial=rows, prefix="basket", form_kwargs={"products": product_choices(tenant=tenant)}
        )
        result = None
        if data is not None and form.is_valid() and basket.is_valid():
            kwargs = {
                "partner": form.cleaned_data["partner"],
                "quantities": basket.quantities(),
                "flags": form.cleaned_data.get("flags", []),
                "as_of": form.cleaned_data["as_of"],
            }
            try:
                if "_save" in request.POST:
                    quote = services.quote_create(**kwargs, by=request.user, title=form.cleaned_data["title"])
                    self.message_user(
                        request,
                        _("Quote %(reference)s saved for %(partner)s.")
                        % {"reference": quote.reference, "partner": quote.partner},
                        messages.SUCCESS,
                    )
                    return redirect("admin:promos_quote_change", quote.pk)
                result = selectors.basket_price(**kwargs)
            except selectors.BasketError as error:
                form.add_error(None, str(error))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Price a basket"),
            "opts": self.model._meta,
            "form": form,
            "basket": basket,
            "result": result,
            "flag_names": self._flag_names(form, result),
            "savings": self._savings(result),
            "media": self.media + form.media,
        }
        status = 400 if data is not None and result is None else 200
        return TemplateResponse(request, "admin/promos/quote/calculator.html", context, status=status)

    @staticmethod
    def _savings(result) -> dict:
        """What the promotions save, monthly and one-off apart (they do not add up)."""
        if result is None:
            return {}
        savings = {Product.Billing.MONTHLY: Decimal("0"), Product.Billing.ONE_OFF: Decimal("0")}
        for line in result.basket.lines:
            savings[line.item.billing] = savings.get(line.item.billing, Decimal("0")) + line.saving
        return {"monthly": savings[Product.Billing.MONTHLY], "one_off": savings[Product.Billing.ONE_OFF]}

    @staticmethod
    def _flag_names(form, result) -> list[str]:
        if result is None or "flags" not in form.fields:
            return []
        names = dict(form.fields["flags"].choices)
        return [names.get(code, code) for code in sorted(result.basket.flags)]

    def _calculator_initial(self, request, initial: dict) -> tuple[dict, list[dict]]:
        """``?partner=ID`` chooses the partner; ``?quote=ID`` prices one of the tenant's quotes again."""
        rows = []
        if quote_id := request.GET.get("quote", ""):
            if not is_id(quote_id):
                raise Http404
            quote = get_object_or_404(self.get_queryset(request), pk=quote_id)
            initial.update(partner=quote.partner_id, flags=quote.flags, title=quote.title)
            rows = [{"code": line.code, "quantity": line.quantity} for line in quote.lines.all()]
        elif is_id(partner_id := request.GET.get("partner", "")):
            initial["partner"] = partner_id  # the form's choices are the tenant's: another is not shown
        return initial, rows
