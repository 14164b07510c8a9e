"""Leads: end customers the vendor hands to its partners (issue 12; seeds 000/002, the Business benefit
"leads éditeur"; seed 004, "leads: budget, how many, who allocates, how conversion is tracked").

A ``Lead`` is offered to one partner at a time (``LeadOffer``): the partner accepts within
``LEAD_ACCEPT_HOURS`` or the offer lapses and the lead goes to the next partner (``routing.py``). A lead is
never offered to two partners at once (a partial unique index on the live offer) and never twice to the
same partner (a unique index on lead and partner). ``Lead.partner`` is the partner holding it now (its
offer open or accepted): the only one who sees it, and who sees its contact once it has accepted.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from partnerportal.geography import BY_CODE, REGIONS, departement_of_postal_code
from partnerportal.models import Partner, Tenant, cross_tenant_errors
from partnerportal.validators import validate_single_line

MONEY = {
    "max_digits": 12,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("9999999999.99"))],
}


class ProductLine(models.Model):
    """What a lead asks for and what a partner sells, per tenant (Dstny: SIP Trunk, MetaCentrex, Data…)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(
        _("code"), max_length=40, help_text=_("The lead import names product lines by it.")
    )
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("lead product line")
        verbose_name_plural = _("lead product lines")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="lead_product_line_code_per_tenant",
                violation_error_message=_("A product line with this code already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class LeadCoverage(models.Model):
    """Where and what a partner takes leads for, beyond its address's département (declared zones)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="lead_coverage", verbose_name=_("partner")
    )
    departements = models.JSONField(
        _("other départements"),
        default=list,
        blank=True,
        help_text=_("Départements covered besides the one of the partner's address (INSEE codes)."),
    )
    regions = models.JSONField(_("régions"), default=list, blank=True, help_text=_("Whole régions covered."))
    product_lines = models.ManyToManyField(
        ProductLine,
        related_name="+",
        blank=True,
        verbose_name=_("product lines"),
        help_text=_("Leave empty for every product line."),
    )
    accepts_leads = models.BooleanField(
        _("takes leads"), default=True, help_text=_("Untick to stop offering leads to this partner.")
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("lead coverage")
        verbose_name_plural = _("lead coverages")
        ordering = ["partner__legal_name"]

    def __str__(self) -> str:
        return str(self.partner)

    def clean(self):
        errors = cross_tenant_errors(self, "partner")
        if not isinstance(self.departements, list) or any(c not in BY_CODE for c in self.departements):
            errors["departements"] = _('Give a list of département codes, e.g. ["35", "2A"].')
        if not isinstance(self.regions, list) or any(r not in REGIONS for r in self.regions):
            errors["regions"] = _("Give a list of région names as the portal spells them.")
        if errors:
            raise ValidationError(errors)


class Lead(models.Model):
    class State(models.TextChoices):
        NEW = "new", pgettext_lazy("lead state", "New")
        OFFERED = "offered", pgettext_lazy("lead state", "Offered")
        ACCEPTED = "accepted", pgettext_lazy("lead state", "Accepted")
        CONTACTED = "contacted", pgettext_lazy("lead state", "Contacted")
        QUOTED = "quoted", pgettext_lazy("lead state", "Quote sent")
        WON = "won", pgettext_lazy("lead state", "Won")
        LOST = "lost", pgettext_lazy("lead state", "Lost")
        UNROUTED = "unrouted", pgettext_lazy("lead state", "No partner found")

    class Source(models.TextChoices):
        WEBSITE = "website", _("Website")
        EVENT = "event", _("Event or trade show")
        CAMPAIGN = "campaign", _("Marketing campaign")
        PHONE = "phone", _("Phone call")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other")

    # The states in which the partner has accepted the lead, and so sees its contact.
    ACCEPTED_STATES = (State.ACCEPTED, State.CONTACTED, State.QUOTED, State.WON, State.LOST)
    # Still being worked by the partner that holds it.
    OPEN_STATES = (State.OFFERED, State.ACCEPTED, State.CONTACTED, State.QUOTED)
    CLOSED_STATES = (State.WON, State.LOST)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    customer = models.CharField(_("end customer"), max_length=200, validators=[validate_single_line])
    contact_name = models.CharField(_("contact person"), max_length=150, validators=[validate_single_line])
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=30, blank=True, validators=[validate_single_line]
    )
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("town"), max_length=100, validators=[validate_single_line])
    departement = models.CharField(_("département"), max_length=3, editable=False)
    region = models.CharField(_("région"), max_length=40, editable=False)
    product_lines = models.ManyToManyField(
        ProductLine, related_name="leads", blank=True, verbose_name=_("products wanted")
    )
    monthly_value = models.DecimalField(_("estimated monthly value (€)"), **MONEY)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.OTHER)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("partner"),
        help_text=_("The partner the lead is offered to or worked by now."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    accepted_at = models.DateTimeField(pgettext_lazy("lead", "accepted on"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    quoted_at = models.DateTimeField(_("quote sent"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    won_value = models.DecimalField(_("monthly value signed (€)"), null=True, blank=True, **MONEY)
    lost_reason = models.CharField(_("reason lost"), max_length=300, blank=True)
    unrouted_at = models.DateTimeField(_("no partner found on"), null=True, blank=True)
    # The guard that makes the managers' "no partner" e-mail task idempotent.
    unrouted_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "state"], name="lead_tenant_state"),
            models.Index(fields=["partner", "state"], name="lead_partner_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="won") | Q(won_value__isnull=False), name="lead_won_has_value"
            ),
            models.CheckConstraint(
                condition=~Q(state="lost") | ~Q(lost_reason=""), name="lead_lost_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["new", "unrouted"]) | Q(partner__isnull=False),
                name="lead_held_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.city} ({self.departement})"

    def clean(self):
        errors = cross_tenant_errors(self, "partner")
        if self.postal_code and departement_of_postal_code(self.postal_code) is None:
            errors["postal_code"] = _("%(code)s is not the postal code of a French département.") % {
                "code": self.postal_code
            }
        if errors:
            raise ValidationError(errors)

    @property
    def contact_visible(self) -> bool:
        return self.state in self.ACCEPTED_STATES


class LeadOffer(models.Model):
    """One partner's turn at a lead: offered, then accepted, declined, lapsed or withdrawn."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        LAPSED = "lapsed", _("Not answered in time")
        WITHDRAWN = "withdrawn", _("Withdrawn by a manager")

    class How(models.TextChoices):
        ROUTED = "routed", _("Routed")
        MANUAL = "manual", _("Assigned by a manager")

    LIVE_STATES = (State.OPEN, State.ACCEPTED)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="offers", verbose_name=_("lead"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="lead_offers", verbose_name=_("partner")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    how = models.CharField(_("origin of the offer"), max_length=8, choices=How.choices, default=How.ROUTED)
    offered_at = models.DateTimeField(_("offered"))
    expires_at = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    # The guard that makes the partner's offer e-mail task idempotent.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("lead offer")
        verbose_name_plural = _("lead offers")
        ordering = ["offered_at", "pk"]
        indexes = [models.Index(fields=["tenant", "state", "expires_at"], name="lead_offer_due")]
        constraints = [
            # Never twice to the same partner.
            models.UniqueConstraint(fields=["lead", "partner"], name="lead_offer_once_per_partner"),
            # Never to two partners at once: one live (open or accepted) offer per lead.
            models.UniqueConstraint(
                fields=["lead"], condition=Q(state__in=["open", "accepted"]), name="lead_one_live_offer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead} → {self.partner}"
