"""The price list, the promotions and the quotes partners save (PROGRAM.md, "Promotions"; seed 000).

A ``Product`` has a list price per partner type (``ProductPrice``: the seeds price number portability 9 €
for Ambassadeurs and 5 € for Opérateurs). A ``Promotion`` is for some partner types from a tier up, within
validity dates, optionally under an access condition over the previous calendar quarter (the Business and
Premium promos: 600 € / 800 € of orders for Ambassadeurs, 1,500 € / 2,000 € of revenue for Opérateurs), and
is made of ``PromotionRule`` rows that managers write as data (``rules.py``) and that are validated on
save. The engine that applies them is ``pricing.py``; a saved ``Quote`` keeps the prices it was given.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partnerportal.models import Partner, PartnerType, Tenant, cross_tenant_errors
from tiers.models import RevenueCategory, Tier

from . import rules
from .rules import Family

MONEY = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}

FAMILY_CHOICES = [
    (Family.SIP_TRUNK, _("SIP trunk")),
    (Family.CHANNEL, _("Channel")),
    (Family.METACENTREX, _("MetaCentrex")),
    (Family.VOIP_UC, _("VoIP / unified communications")),
    (Family.DATA_LINK, _("Data link")),
    (Family.VM, _("Virtual machine")),
    (Family.PORTABILITY, _("Number portability")),
    (Family.MINUTES, _("Minutes")),
    (Family.ACCESS_FEE, _("Service access fee")),
    (Family.BIZBOOSTER, _("BizBooster kit")),
]
SUBFAMILY_CHOICES = [
    ("sdsl", _("SDSL")),
    ("fibre", _("Fibre")),
    ("ftth", _("FTTH")),
    ("voip", _("VoIP")),
    ("uc", _("Unified communications")),
]


class Product(models.Model):
    """An item of a tenant's price list."""

    class Unit(models.TextChoices):
        MONTHLY = "monthly", _("per month")
        ONE_OFF = "one_off", _("one-off")
        PER_NUMBER = "per_number", _("per number")
        PER_CHANNEL = "per_channel", _("per channel")
        PER_MINUTE = "per_minute", _("per minute")

    class Billing(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ONE_OFF = "one_off", _("One-off")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_("Letters, digits and dashes; rules and scripts name products by it."),
    )
    name = models.CharField(_("name"), max_length=150)
    description = models.CharField(_("description"), max_length=300, blank=True)
    family = models.CharField(_("family"), max_length=20, choices=FAMILY_CHOICES)
    subfamily = models.CharField(_("sub-family"), max_length=10, choices=SUBFAMILY_CHOICES, blank=True)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    billing = models.CharField(
        _("billing"),
        max_length=8,
        choices=Billing.choices,
        help_text=_("Whether the price is paid every month or once; quotes total them apart."),
    )
    demo_value = models.BooleanField(
        _("demo value"),
        default=False,
        help_text=_("The price is a plausible example, not one the programme's documents state."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="product_code_per_tenant",
                violation_error_message=_("Another product already has this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        known = rules.SUBFAMILIES.get(self.family, ())
        if self.subfamily and self.subfamily not in known:
            errors["subfamily"] = _("%(family)s has no such sub-family (it has: %(known)s).") % {
                "family": self.get_family_display(),
                "known": ", ".join(known) or _("none"),
            }
        if self.code in rules.FAMILIES:
            errors["code"] = _(
                "A product code cannot be the name of a family: rules would not tell them apart."
            )
        if errors:
            raise ValidationError(errors)


class ProductPrice(models.Model):
    """A product's list price for one partner type, excluding VAT; no price: not sold to that type."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product")
    )
    partner_type = models.ForeignKey(
        PartnerType, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner type")
    )
    list_price = models.DecimalField(_("list price excl. VAT (€)"), **MONEY)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("list price")
        verbose_name_plural = _("list prices")
        ordering = ["partner_type__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "partner_type"],
                name="price_per_product_and_type",
                violation_error_message=_("This product already has a price for this partner type."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} / {self.partner_type}: {self.list_price} €"

    def clean(self):
        if errors := cross_tenant_errors(self, "product", "partner_type"):
            raise ValidationError(errors)


class OrderFlag(models.Model):
    """Something a partner ticks on an order that a promotion may depend on (a VGA fleet migration)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=150)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("order flag")
        verbose_name_plural = _("order flags")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="orderflag_code_per_tenant",
                violation_error_message=_("Another order flag already has this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Promotion(models.Model):
    """A promotion of the programme: who it is for, when, under which condition, and its rules."""

    class QuarterBasis(models.TextChoices):
        NONE = "", _("No condition")
        ORDERS = RevenueCategory.ORDERS.value, _("Orders taken")
        GRADED = "graded", _("Graded revenue")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    partner_types = models.ManyToManyField(
        PartnerType,
        related_name="+",
        blank=True,
        verbose_name=_("partner types"),
        help_text=_("Leave empty for every partner type."),
    )
    min_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, related_name="+", verbose_name=_("from tier")
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Inclusive."))
    quarter_basis = models.CharField(
        _("quarterly access condition"),
        max_length=12,
        choices=QuarterBasis.choices,
        blank=True,
        help_text=_(
            "What the partner must have reached in the previous calendar quarter: its orders taken, or the "
            "revenue its tier is graded on."
        ),
    )
    quarter_minimum = models.DecimalField(
        _("quarterly minimum (€)"),
        null=True,
        blank=True,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    stackable = models.BooleanField(
        _("combines with other promotions"),
        default=True,
        help_text=_(
            "Cumulative promotions all apply together; a promotion that does not combine applies alone, "
            "where it gives the partner a better price."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["min_tier__rank", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="promotion_code_per_tenant",
                violation_error_message=_("Another promotion already has this code."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors = cross_tenant_errors(self, "min_tier")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The promotion cannot end before it starts.")
        if self.quarter_basis and self.quarter_minimum is None:
            errors["quarter_minimum"] = _("Give the minimum the partner must reach in the quarter.")
        if not self.quarter_basis and self.quarter_minimum is not None:
            errors["quarter_basis"] = _("Say what the quarterly minimum is counted on.")
        if errors:
            raise ValidationError(errors)


class PromotionRule(models.Model):
    """One price effect of a promotion, on the basket lines its targets select, when its conditions hold."""

    class Kind(models.TextChoices):
        FIXED_PRICE = "fixed_price", _("Fixed unit price")
        PERCENT_OFF = "percent_off", _("Percentage off")
        PRICE_GRID = "price_grid", _("Quantity price grid")
        UNLOCKED_PRICE = "unlocked_price", _("Price unlocked by a subscription")
        FEE_WAIVER = "fee_waiver", _("Fee waived on an order flag")

    class Match(models.TextChoices):
        ALL = "all", _("All conditions")
        ANY = "any", _("Any condition")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    promotion = models.ForeignKey(
        Promotion, on_delete=models.CASCADE, related_name="rules", verbose_name=_("promotion")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    targets = models.CharField(
        _("applies to"),
        max_length=300,
        help_text=_(
            "Families, family/sub-family or product codes, separated by commas: data_link/fibre, SIP-TOUCH."
        ),
    )
    excluded = models.CharField(
        _("except"),
        max_length=300,
        blank=True,
        help_text=_("What the targets leave out, written the same way: data_link/ftth."),
    )
    conditions = models.TextField(
        _("conditions"),
        blank=True,
        help_text=_(
            "One per line: “has data_link”, “quantity channel > 4”, “flag migration-vga”. Empty: always."
        ),
    )
    match = models.CharField(_("conditions to meet"), max_length=3, choices=Match.choices, default=Match.ALL)
    unit_price = models.DecimalField(
        _("unit price (€)"),
        null=True,
        blank=True,
        **MONEY,
        help_text=_("Fixed price and unlocked price rules."),
    )
    percent = models.DecimalField(
        _("percentage off"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    steps = models.TextField(
        _("price steps"),
        blank=True,
        help_text=_(
            "Quantity price grid, one step per line, “more than N = price”: “10 = 7.00”, “30 = 5.00”."
        ),
    )
    unlocked_by = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unlocked by"),
        help_text=_("The monthly subscription that must be in the basket."),
    )
    flag = models.ForeignKey(
        OrderFlag,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order flag"),
        help_text=_("The fee is waived when the order carries this flag."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.targets}"

    # Which of the optional fields each kind needs; the others must stay empty so that a rule means one thing.
    NEEDS = {
        Kind.FIXED_PRICE: {"unit_price"},
        Kind.PERCENT_OFF: {"percent"},
        Kind.PRICE_GRID: {"steps"},
        Kind.UNLOCKED_PRICE: {"unit_price", "unlocked_by"},
        Kind.FEE_WAIVER: {"flag"},
    }
    OPTIONAL = ("unit_price", "percent", "steps", "unlocked_by", "flag")

    def clean(self):
        errors = cross_tenant_errors(self, "promotion", "unlocked_by", "flag")
        if errors or not self.kind or not self.tenant_id:
            if errors:
                raise ValidationError(errors)
            return
        needs = self.NEEDS.get(self.kind, set())
        for field in self.OPTIONAL:
            value = getattr(self, field if field in ("unit_price", "percent", "steps") else f"{field}_id")
            # Blank lines are no price grid: the rule would never give a price.
            if field in needs and (value is None or (isinstance(value, str) and not value.strip())):
                errors[field] = _("A “%(kind)s” rule needs this.") % {"kind": self.get_kind_display()}
            elif field not in needs and value not in (None, ""):
                errors[field] = _("A “%(kind)s” rule does not use this; leave it empty.") % {
                    "kind": self.get_kind_display()
                }
        codes = list(Product.objects.filter(tenant_id=self.tenant_id).values_list("code", flat=True))
        flags = list(OrderFlag.objects.filter(tenant_id=self.tenant_id).values_list("code", flat=True))
        for field in ("targets", "excluded", "conditions", "steps"):
            try:
                parsed = self.parse(field, product_codes=codes, flag_codes=flags)
            except ValidationError as error:
                errors[field] = error.messages
                continue
            if field == "targets" and not parsed:
                errors[field] = _("Say which products the rule prices.")
        if (
            self.kind == self.Kind.UNLOCKED_PRICE
            and self.unlocked_by_id
            and "unlocked_by" not in errors
            and self.unlocked_by.billing != Product.Billing.MONTHLY
        ):
            errors["unlocked_by"] = _("Choose a monthly subscription: %(product)s is billed once.") % {
                "product": self.unlocked_by
            }
        if errors:
            raise ValidationError(errors)

    def parse(self, field: str, *, product_codes, flag_codes=()):
        value = getattr(self, field)
        if field in ("targets", "excluded"):
            return rules.parse_selectors(value, product_codes=product_codes)
        if field == "conditions":
            return rules.parse_conditions(value, product_codes=product_codes, flag_codes=flag_codes)
        return rules.parse_steps(value)


class Quote(models.Model):
    """A basket a partner (or its manager) priced and kept, with the prices it was given that day."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="quotes", verbose_name=_("partner")
    )
    reference = models.CharField(_("reference"), max_length=30)
    title = models.CharField(_("title"), max_length=150, blank=True)
    priced_on = models.DateField(_("priced on"))
    tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("tier")
    )
    flags = models.JSONField(_("order flags"), default=list, blank=True)
    monthly_total = models.DecimalField(_("monthly total excl. VAT (€)"), max_digits=14, decimal_places=2)
    one_off_total = models.DecimalField(_("one-off total excl. VAT (€)"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference"],
                name="quote_reference_per_tenant",
                violation_error_message=_("Another quote already has this reference."),
            )
        ]

    def __str__(self) -> str:
        return self.reference


class QuoteLine(models.Model):
    """One priced line of a saved quote, as the engine explained it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("quote"))
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=150)
    billing = models.CharField(_("billing"), max_length=8, choices=Product.Billing.choices)
    unit = models.CharField(_("unit"), max_length=12, choices=Product.Unit.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    list_unit_price = models.DecimalField(_("list unit price (€)"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price (€)"), max_digits=10, decimal_places=2)
    total = models.DecimalField(_("total (€)"), max_digits=14, decimal_places=2)
    promotions = models.JSONField(_("promotions applied"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"
