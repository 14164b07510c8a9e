"""The benefits catalogue and the claims partners make on it (PROGRAM.md, "Benefits by tier"; seeds 000, 002).

A ``Benefit`` is given from a tier up (tiers are cumulative) to the partner types it names (none: all
types), unless a higher benefit that applies ``replaces`` it (BizBooster 150 € at Access gives way to
BizBooster 500 € at Premium). A standing perk is shown; a claimable entitlement is claimed (``Claim``), a
quantity per period, within a validity window after the partner reached the tier. The rules that compute
what a partner has on a day are in ``rules.py``, fed by ``selectors.py``; writes go through ``services.py``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partnerportal.history import tenant_history
from partnerportal.models import Partner, PartnerType, Tenant, cross_tenant_errors
from tiers.models import Tier


class Benefit(models.Model):
    """One benefit of a tenant's programme."""

    class Category(models.TextChoices):
        # The seeds' "Principes": promotions, ressources / moyens, support, formations; plus the
        # marketing, business and recognition lines of the tiers' benefits.
        PROMOTIONS = "promotions", _("Promotions")
        RESOURCES = "resources", _("Resources")
        SUPPORT = "support", _("Support")
        TRAINING = "training", _("Training")
        MARKETING = "marketing", _("Marketing")
        BUSINESS = "business", _("Business")
        RECOGNITION = "recognition", _("Recognition")

    class Kind(models.TextChoices):
        PERK = "perk", _("Standing perk")
        CLAIMABLE = "claimable", _("Claimable entitlement")

    class Period(models.TextChoices):
        # ONCE counts against the partner's stretch at the tier: reaching it again gives the benefit again.
        ONCE = "once", _("Once per tier reached")
        YEAR = "year", _("Per calendar year")
        QUARTER = "quarter", _("Per calendar quarter")
        MONTH = "month", _("Per calendar month")

    class PortalPage(models.TextChoices):
        NONE = "", _("None")
        TIER_HISTORY = "tier_history", _("Tier history")
        WELCOME_PACK = "welcome_pack", _("Welcome pack")
        DIPLOMA = "diploma", _("Diploma")
        KPIS = "kpis", _("Performance indicators")

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="benefits", verbose_name=_("tenant")
    )
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    partner_types = models.ManyToManyField(
        PartnerType,
        related_name="benefits",
        blank=True,
        verbose_name=_("partner types"),
        help_text=_("Leave empty for every partner type."),
    )
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, related_name="benefits", verbose_name=_("from tier")
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
        help_text=_("A lower benefit that this one takes the place of once it applies."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERK)
    quantity = models.PositiveSmallIntegerField(
        _("quantity per period"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("How long after reaching the tier it may be claimed; empty: as long as the tier lasts."),
    )
    value = models.DecimalField(
        _("value (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    requires_approval = models.BooleanField(
        _("requires a manager's approval"),
        default=True,
        help_text=_("Otherwise a claim is approved at once."),
    )
    portal_page = models.CharField(
        _("portal page"),
        max_length=20,
        choices=PortalPage.choices,
        blank=True,
        help_text=_("For benefits the portal itself provides: where the partner finds it."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["from_tier__rank", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="benefit_code_per_tenant",
                violation_error_message=_("A benefit with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(kind="perk") | (Q(quantity__isnull=False) & ~Q(period="")),
                name="benefit_claimable_has_quantity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_claimable(self) -> bool:
        return self.kind == self.Kind.CLAIMABLE

    def clean(self):
        errors = cross_tenant_errors(self, "from_tier", "replaces")
        if self.is_claimable:
            if not self.quantity:
                errors["quantity"] = _("A claimable entitlement needs a quantity per period.")
            if not self.period:
                errors["period"] = _("A claimable entitlement needs a period.")
        else:
            # A perk is shown, never claimed: the claim fields would mislead.
            self.quantity, self.period, self.validity_months = None, "", None
        if self.replaces_id and "replaces" not in errors:
            if self.replaces_id == self.pk:
                errors["replaces"] = _("A benefit cannot replace itself.")
            elif self.from_tier_id and self.replaces.from_tier.rank >= self.from_tier.rank:
                errors["replaces"] = _("A benefit only replaces one of a lower tier.")
        if errors:
            raise ValidationError(errors)


class ClaimQuerySet(models.QuerySet):
    def counting(self):
        """The claims that use up the quantity: pending, approved or fulfilled."""
        return self.filter(state__in=Claim.COUNTING_STATES)


class Claim(models.Model):
    """A partner's request for a claimable benefit, counted against one period (``period_start``)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        FULFILLED = "fulfilled", _("Fulfilled")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    COUNTING_STATES = (State.PENDING, State.APPROVED, State.FULFILLED)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="benefit_claims", verbose_name=_("partner")
    )
    benefit = models.ForeignKey(
        Benefit, on_delete=models.PROTECT, related_name="claims", verbose_name=_("benefit")
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    period_start = models.DateField(
        _("period"), help_text=_("The first day of the period the claim counts against.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("claimed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        help_text=_("Empty when the claim needed no approval."),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # The last state the partner was e-mailed about: the guard that makes the e-mail task idempotent.
    notified_state = models.CharField(_("partner notified of"), max_length=10, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant", _manager_class=models.Manager.from_queryset(ClaimQuerySet))
    # Who decided, fulfilled or cancelled it, and when (the back-office's history).
    history = tenant_history(excluded_fields=["notified_state"])

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "benefit", "period_start"], name="claim_partner_period"),
            # The queues: a tenant's claims in a state, oldest first (the dashboard's "waiting for you").
            models.Index(fields=["tenant", "state", "created_at", "id"], name="claim_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refusal_reason=""), name="claim_refusal_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.benefit}"

    def clean(self):
        errors = cross_tenant_errors(self, "partner", "benefit")
        if self.state == self.State.REFUSED and not self.refusal_reason.strip():
            errors["refusal_reason"] = _("Say why the claim is refused.")
        if errors:
            raise ValidationError(errors)
