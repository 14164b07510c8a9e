"""Duties (*devoirs*): what a partner owes the programme at its tier, and the proof it gives.

PROGRAM.md, "Duties by tier" (seeds 000 and 002, "DEVOIRS"): documents, trainings, sales and communication
duties per tier and partner type. ``Duty`` is a tenant's catalogue; ``DutyFulfilment`` is one partner's
duty for one period (a once-only duty has a single period, see ``ONCE_PERIOD``), with its state and the
evidence given; ``DevelopmentPlan``/``PlanObjective`` and ``SalesForecast`` hold the seeds' "plan de
développement" and "prévisions des ventes".
"""

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from partnerportal.history import tenant_history
from partnerportal.models import OperatorPlan, Partner, PartnerType, Tenant, cross_tenant_errors
from tiers.calendar import add_months
from tiers.models import Tier

from .storage import private_storage

# A once-only duty (sign the charter) has one fulfilment per partner ever: its period is this fixed date,
# so that the (partner, duty, period) unique constraint also says "never twice", re-entering a tier included.
ONCE_PERIOD = dt.date(2000, 1, 1)


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the quarter containing ``day``."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: dt.date) -> dt.date:
    """The last day of the quarter containing ``day``."""
    return add_months(quarter_start(day), 3) - dt.timedelta(days=1)


def next_quarter(day: dt.date) -> dt.date:
    """The first day of the quarter after the one containing ``day``."""
    return add_months(quarter_start(day), 3)


def quarter_label(day: dt.date) -> str:
    """ "Q4 2026" (in French "T4 2026") for the quarter containing ``day``."""
    return _("Q%(quarter)d %(year)d") % {"quarter": (day.month - 1) // 3 + 1, "year": day.year}


class Category(models.TextChoices):
    # Contexts keep these apart from the same English words elsewhere (the "Sales" profile, a claim's
    # "Approved"): in French a duty is "Ventes" and "Validé".
    DOCUMENT = "document", pgettext_lazy("duty category", "Document")
    TRAINING = "training", pgettext_lazy("duty category", "Training")
    SALES = "sales", pgettext_lazy("duty category", "Sales")
    COMMUNICATION = "communication", pgettext_lazy("duty category", "Communication")


class Profile(models.TextChoices):
    # The seeds' "profil admin, vente, technique" (the partner's people, Membership.Role).
    ADMIN = "admin", _("Administrator")
    SALES = "sales", _("Sales")
    TECHNICAL = "technical", _("Technical")


class ProductLine(models.TextChoices):
    SIP_TRUNK = "sip_trunk", _("SIP Trunk")
    METACENTREX = "metacentrex", _("MetaCentrex")
    DATA = "data", _("Data")


class TrainingFormat(models.TextChoices):
    WEBINAR = "webinar", _("Webinar")
    ONLINE = "online", _("Online")
    ON_SITE = "on_site", _("On-site")


class Recurrence(models.TextChoices):
    ONCE = "once", _("Once")
    YEARLY = "yearly", _("Every year")
    QUARTERLY = "quarterly", _("Every quarter")


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", _("Uploaded document")
    TRAINING = "training", _("Training completion")
    CONFIRMATION = "confirmation", _("Manager's confirmation")
    PLAN = "plan", _("Development plan in the portal")
    FORECAST = "forecast", _("Sales forecast in the portal")


class Duty(models.Model):
    """A duty of the tenant's programme: where it applies (tiers, types, plans), how it is proven, when due."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=14, choices=Category.choices)
    tiers = models.ManyToManyField(
        Tier, related_name="+", verbose_name=_("tiers"), help_text=_("The tiers at which it applies.")
    )
    partner_types = models.ManyToManyField(
        PartnerType,
        related_name="+",
        blank=True,
        verbose_name=_("partner types"),
        help_text=_("Empty: every partner type."),
    )
    operator_plans = models.ManyToManyField(
        OperatorPlan,
        related_name="+",
        blank=True,
        verbose_name=_("operator plans"),
        help_text=_("Empty: whatever the plan; otherwise only partners on one of these plans."),
    )
    profile = models.CharField(_("profile"), max_length=10, choices=Profile.choices, blank=True)
    product_line = models.CharField(_("product line"), max_length=12, choices=ProductLine.choices, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=TrainingFormat.choices, blank=True)
    count = models.PositiveSmallIntegerField(
        _("count"), default=1, validators=[MinValueValidator(1)], help_text=_("3 webinars: 3.")
    )
    recurrence = models.CharField(
        _("recurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    due_days = models.PositiveSmallIntegerField(
        _("due after (days)"),
        default=90,
        help_text=_("Days after entering the tier (or after the period starts) by which it is due."),
    )
    blocking = models.BooleanField(
        _("blocking"), default=False, help_text=_("Undone past its due date, it holds back a promotion.")
    )
    evidence = models.CharField(
        _("evidence"), max_length=12, choices=EvidenceKind.choices, default=EvidenceKind.DOCUMENT
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["tenant", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="duty_code_per_tenant",
                violation_error_message=_("Another duty already has this code."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors = {}
        if self.category == Category.TRAINING and not self.format:
            errors["format"] = _("A training has a format: webinar, online or on-site.")
        if self.category != Category.TRAINING and (self.format or self.profile):
            errors["format"] = _("Only trainings have a format and a profile.")
        if errors:
            raise ValidationError(errors)

    def period_for(self, day: dt.date) -> tuple[dt.date, dt.date | None]:
        """The period containing ``day``: (first day, last day); once-only duties have no end."""
        if self.recurrence == Recurrence.YEARLY:
            return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
        if self.recurrence == Recurrence.QUARTERLY:
            return quarter_start(day), quarter_end(day)
        return ONCE_PERIOD, None

    def due_date_for(self, *, entry: dt.date, period_end: dt.date | None) -> dt.date:
        """``due_days`` after ``entry``, but never after the period's last day: a yearly duty entered in
        July with a long delay is still due within its year."""
        due = entry + dt.timedelta(days=self.due_days)
        return due if period_end is None else min(due, period_end)


class FulfilmentState(models.TextChoices):
    TO_DO = "todo", pgettext_lazy("duty state", "To do")
    SUBMITTED = "submitted", pgettext_lazy("duty state", "Submitted")
    APPROVED = "approved", pgettext_lazy("duty state", "Approved")
    REFUSED = "refused", pgettext_lazy("duty state", "Refused")
    EXPIRED = "expired", pgettext_lazy("duty state", "Expired")
    WAIVED = "waived", pgettext_lazy("duty state", "Waived")
    CLOSED = "closed", pgettext_lazy("duty state", "No longer required")


# What the partner still has to act on; "undone" for holds adds the evidence waiting for review.
OPEN_STATES = (FulfilmentState.TO_DO, FulfilmentState.REFUSED)
UNDONE_STATES = (FulfilmentState.TO_DO, FulfilmentState.REFUSED, FulfilmentState.SUBMITTED)
DONE_STATES = (FulfilmentState.APPROVED, FulfilmentState.WAIVED)


class DutyFulfilment(models.Model):
    """One partner's duty for one period: its due date, state and evidence; the manager's decision."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="duty_fulfilments", verbose_name=_("partner")
    )
    duty = models.ForeignKey(
        Duty, on_delete=models.CASCADE, related_name="fulfilments", verbose_name=_("duty")
    )
    period = models.DateField(_("period"), help_text=_("The first day of the period."))
    period_end = models.DateField(_("period end"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    state = models.CharField(
        _("state"), max_length=10, choices=FulfilmentState.choices, default=FulfilmentState.TO_DO
    )
    # (a) an uploaded document, stored outside the public media under a generated name.
    document = models.FileField(_("document"), storage=private_storage, max_length=255, blank=True)
    document_name = models.CharField(_("file name"), max_length=255, blank=True)
    document_type = models.CharField(_("file type"), max_length=40, blank=True)
    # (b) a training completion.
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("trainee"),
    )
    course = models.CharField(_("course"), max_length=200, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # (c) the manager's decision (approval is the confirmation for "manager's confirmation" duties).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why it was refused or waived."))
    # Guards of the reminders (tasks.py): each e-mail at most once per fulfilment.
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    decision_notified_at = models.DateTimeField(_("decision e-mailed"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")
    # Who submitted, approved, refused or waived it, and when (the back-office's history). The e-mail
    # guards are the tasks' business, not a person's.
    history = tenant_history(excluded_fields=["reminded_at", "decision_notified_at", "overdue_notified_at"])

    class Meta:
        verbose_name = _("duty fulfilment")
        verbose_name_plural = _("duty fulfilments")
        ordering = ["due_date", "duty__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "duty", "period"],
                name="fulfilment_once_per_period",
                violation_error_message=_("This partner already has this duty for this period."),
            )
        ]
        indexes = [
            # The promotion-hold query and the reminders: a tenant's undone duties by due date.
            models.Index(fields=["tenant", "state", "due_date"], name="fulfilment_state_due"),
            # The review queue: evidence waiting for a decision, oldest first.
            models.Index(fields=["tenant", "state", "submitted_at", "id"], name="fulfilment_review"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.duty}"

    def clean(self):
        if errors := cross_tenant_errors(self, "partner", "duty"):
            raise ValidationError(errors)

    @property
    def period_label(self) -> str:
        """ "T4 2026" for a quarter, "2026" for a year, "" for a once-only duty."""
        if self.period_end is None:
            return ""
        if self.duty.recurrence == Recurrence.QUARTERLY:
            return quarter_label(self.period)
        return str(self.period.year)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, today: dt.date, *, tenant: Tenant) -> bool:
        """Past due and still to do or refused, or evidence sent late (see selectors.compliance_for); the
        day evidence was sent is the day in the tenant's time zone."""
        if self.due_date >= today:
            return False
        if self.state == FulfilmentState.SUBMITTED:
            if self.submitted_at is None:
                return False
            return timezone.localtime(self.submitted_at, ZoneInfo(tenant.timezone)).date() > self.due_date
        return self.state in OPEN_STATES


def new_document_name(tenant_id: int, extension: str) -> str:
    """A server-generated name under the tenant's folder; the person's file name is never a path here."""
    return f"tenants/{tenant_id}/duties/{uuid.uuid4().hex}{extension}"


class DevelopmentPlan(models.Model):
    """The seeds' "plan de développement personnalisé": a partner's year, quarter by quarter."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="development_plans", verbose_name=_("partner")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    notes = models.TextField(_("actions planned"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("development plan")
        verbose_name_plural = _("development plans")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["partner", "year"], name="plan_once_per_year")]

    def __str__(self) -> str:
        return f"{self.partner} {self.year}"


class PlanObjective(models.Model):
    """A quarter's revenue objective for one product line, in euros over the quarter."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    plan = models.ForeignKey(
        DevelopmentPlan, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("plan")
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    product_line = models.CharField(_("product line"), max_length=12, choices=ProductLine.choices)
    amount = models.DecimalField(
        _("objective (€)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["quarter", "product_line"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "quarter", "product_line"], name="objective_once_per_quarter_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} Q{self.quarter} {self.get_product_line_display()}: {self.amount} €"


class SalesForecast(models.Model):
    """The seeds' "prévisions des ventes": what the partner expects to sell in a quarter, per product line."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="sales_forecasts", verbose_name=_("partner")
    )
    quarter_start = models.DateField(_("quarter"), help_text=_("The first day of the quarter."))
    product_line = models.CharField(_("product line"), max_length=12, choices=ProductLine.choices)
    amount = models.DecimalField(
        _("forecast (€)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("sales forecast")
        verbose_name_plural = _("sales forecasts")
        ordering = ["-quarter_start", "product_line"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "quarter_start", "product_line"], name="forecast_once_per_quarter_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.quarter_start:%Y-%m} {self.get_product_line_display()}: {self.amount} €"
