"""Tiers, the revenue ledger and the six-monthly re-grading (PROGRAM.md, "Principles" and "Tiers").

A partner's tier follows its qualifying monthly revenue, re-evaluated on each tenant's evaluation dates
(1 January and 1 July by default). ``Assessment`` rows are the tier history; ``PartnerTier`` is the
current tier of each partner, kept by the job so that pages need no history query.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partnerportal.history import tenant_history
from partnerportal.models import Partner, PartnerType, Tenant, cross_tenant_errors, hex_colour


class RevenueCategory(models.TextChoices):
    RECURRING = "recurring", _("Recurring services")
    ACCESS_FEES = "access_fees", _("Service access fees")
    USAGE = "usage", _("Usage (minutes)")
    ONE_OFF = "one_off", _("One-off sales")
    ORDERS = "orders", _("Orders taken")


def default_qualifying_categories() -> list[str]:
    # The seeds grade on recurring revenue "hors frais d'accès aux services et minutes".
    return [RevenueCategory.RECURRING.value]


def validate_categories(value) -> None:
    known = set(RevenueCategory.values)
    if not isinstance(value, list) or not value or not set(value) <= known:
        raise ValidationError(
            _("Choose one or more of: %(codes)s."), params={"codes": ", ".join(RevenueCategory.values)}
        )


class GradingPolicy(models.Model):
    """How a tenant grades: which revenue counts and how far one evaluation may demote."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="grading_policy", verbose_name=_("tenant")
    )
    qualifying_categories = models.JSONField(
        _("qualifying revenue categories"),
        default=default_qualifying_categories,
        validators=[validate_categories],
    )
    max_demotion_steps = models.PositiveSmallIntegerField(
        _("maximum demotion per evaluation"),
        null=True,
        blank=True,
        help_text=_("How many tiers a partner may lose at one evaluation; empty means no limit."),
    )
    evaluation_review = models.BooleanField(
        _("evaluations in review mode"),
        default=False,
        help_text=_(
            "A due evaluation is computed as a proposal; tiers change only when a manager approves it."
        ),
    )
    grace_evaluations = models.PositiveSmallIntegerField(
        _("grace period (evaluations)"),
        default=0,
        help_text=_(
            "How many evaluations a partner below its tier's threshold keeps its tier, flagged at risk; "
            "0 means none."
        ),
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("grading policy")
        verbose_name_plural = _("grading policies")

    def __str__(self) -> str:
        return str(self.tenant)


class Tier(models.Model):
    """A level of the programme (demo: Starter < Access < Business < Premium)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("tenant")
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(
        _("rank"), help_text=_("Higher is better; the lowest rank is the entry tier.")
    )
    colour = models.CharField(_("colour"), max_length=7, default="#7f8c8d", validators=[hex_colour])
    description = models.CharField(_("short description"), max_length=200, blank=True)
    # The documents a partner receives on reaching the tier (seeds: "Pack Booster" at Access, a paper
    # diploma at Business and Premium).
    awards_diploma = models.BooleanField(
        _("awards a diploma"),
        default=False,
        help_text=_("Partners at this tier get a diploma, valid until the next evaluation."),
    )
    awards_booster_pack = models.BooleanField(
        _("awards a booster pack"),
        default=False,
        help_text=_("Partners reaching this tier get the booster pack."),
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["tenant", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "rank"],
                name="tier_rank_per_tenant",
                violation_error_message=_("Another tier already has this rank."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="tier_code_per_tenant",
                violation_error_message=_("Another tier already has this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Threshold(models.Model):
    """The minimum monthly qualifying revenue for a tier and partner type; the lower bound is inclusive."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    tier = models.ForeignKey(
        Tier, on_delete=models.CASCADE, related_name="thresholds", verbose_name=_("tier")
    )
    partner_type = models.ForeignKey(
        PartnerType, on_delete=models.CASCADE, related_name="thresholds", verbose_name=_("partner type")
    )
    minimum_monthly = models.DecimalField(
        _("minimum per month (€)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        ordering = ["partner_type", "minimum_monthly"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "partner_type"],
                name="threshold_per_tier_and_type",
                violation_error_message=_("This tier already has a threshold for this partner type."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.tier} / {self.partner_type}: {self.minimum_monthly} €"

    def clean(self):
        if errors := cross_tenant_errors(self, "tier", "partner_type"):
            raise ValidationError(errors)


class RevenueEntry(models.Model):
    """One partner's revenue for one month and category, in euros. Imports upsert on those three."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="revenue", verbose_name=_("partner")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    category = models.CharField(_("category"), max_length=12, choices=RevenueCategory.choices)
    amount = models.DecimalField(
        _("amount (€)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("revenue entry")
        verbose_name_plural = _("revenue ledger")
        ordering = ["-month", "partner", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "month", "category"],
                name="revenue_one_per_partner_month_category",
                violation_error_message=_(
                    "This partner already has revenue of this category for this month."
                ),
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="revenue_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["tenant", "month", "category"], name="revenue_tenant_month")]

    def __str__(self) -> str:
        return f"{self.partner} {self.month:%Y-%m} {self.category}: {self.amount}"


class Evaluation(models.Model):
    """One grading run of a tenant for one evaluation date: the record the catch-up and resume rely on."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PROPOSED = "proposed", _("Awaiting approval")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    evaluation_date = models.DateField(_("evaluation date"))
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"), help_text=_("The last day of the window."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
        help_text=_("Empty when the scheduled job ran it."),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    partners = models.PositiveIntegerField(_("partners"), default=0)
    up = models.PositiveIntegerField(_("up"), default=0)
    down = models.PositiveIntegerField(_("down"), default=0)
    same = models.PositiveIntegerField(_("same"), default=0)
    pinned = models.PositiveIntegerField(_("pinned"), default=0)
    held = models.PositiveIntegerField(_("held"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Review mode: the manager who approved the proposal, from which moment overrides are closed.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-evaluation_date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "evaluation_date"], name="evaluation_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.evaluation_date}"


def tier_snapshot(verbose_name, **options) -> models.ForeignKey:
    """A tier as an assessment recorded it: no index and no database constraint (see Assessment)."""
    return models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=verbose_name,
        db_index=False,
        db_constraint=False,
        **options,
    )


class Assessment(models.Model):
    """A partner's grading at one evaluation: the partner's tier history."""

    class Reason(models.TextChoices):
        COMPUTED = "computed", _("Computed from revenue")
        PINNED = "pinned", _("Pinned by a manager")
        NO_DATA = "no_data", _("No revenue in the window")
        HELD = "held", _("Promotion held back by an undone blocking duty")
        GRACE = "grace", _("Below its threshold, kept for a grace period")
        OVERRIDDEN = "overridden", _("Overridden by a manager")

    class Movement(models.TextChoices):
        UP = "up", _("Up")
        DOWN = "down", _("Down")
        SAME = "same", _("Same")
        PINNED = "pinned", _("Pinned")
        HELD = "held", _("Held")

    # The job writes one row per partner and evaluation, so each index and each (deferred) foreign-key
    # check is paid 200,000 times a run. Kept: the (partner, evaluation_date) unique index and the
    # evaluation index. The references are written by the job from ids it has just read in the same
    # transaction, and Django refuses to delete a tier in use (PROTECT) and cascades partners and
    # evaluations itself, so they go without a database constraint. The partner constraints of the
    # assessments and current tiers alone cost 3.5 s of deferred checks at the commits of a 200,000-partner
    # run (measured, PostgreSQL 15): a third of the job.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
        db_constraint=False,
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("partner"),
        db_index=False,
        db_constraint=False,
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("evaluation"),
        db_constraint=False,
        # A B-tree index cost a second of the 200,000-row COPY; the assessments of an evaluation are
        # written together, so on PostgreSQL a BRIN index finds them for a fraction of the upkeep
        # (migration 0005; other databases get a plain index there).
        db_index=False,
    )
    evaluation_date = models.DateField(_("evaluation date"))
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    months_counted = models.PositiveSmallIntegerField(_("months counted"))
    revenue = models.DecimalField(_("qualifying revenue (€)"), max_digits=14, decimal_places=2)
    basis = models.DecimalField(_("monthly basis (€)"), max_digits=14, decimal_places=2)
    previous_tier = tier_snapshot(_("previous tier"), null=True, blank=True)
    computed_tier = tier_snapshot(_("computed tier"))
    applied_tier = tier_snapshot(_("applied tier"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    movement = models.CharField(_("movement"), max_length=6, choices=Movement.choices)
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("Why a promotion was held back (the duty undone), or why a manager overrode the tier."),
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
        db_index=False,
        db_constraint=False,
        help_text=_("Empty when the scheduled job applied it."),
    )
    applied_at = models.DateTimeField(_("applied"))
    notified_at = models.DateTimeField(_("partner notified"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-evaluation_date"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "evaluation_date"], name="assessment_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.evaluation_date}: {self.applied_tier}"


class ProposedAssessment(models.Model):
    """A partner's grading in an evaluation awaiting approval (the tenant's review mode).

    The engine writes these instead of assessments, with the same columns and the same chunked writes,
    and changes no tier. A manager may override a partner's tier with a reason; approving the evaluation
    turns every row into its assessment and applies the tiers (tiers.review), then deletes the rows.
    """

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
        db_constraint=False,
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("partner"),
        db_index=False,  # the (partner, evaluation_date) unique index serves
        db_constraint=False,
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("evaluation"),
        db_constraint=False,
    )
    evaluation_date = models.DateField(_("evaluation date"))
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    months_counted = models.PositiveSmallIntegerField(_("months counted"))
    revenue = models.DecimalField(_("qualifying revenue (€)"), max_digits=14, decimal_places=2)
    basis = models.DecimalField(_("monthly basis (€)"), max_digits=14, decimal_places=2)
    previous_tier = tier_snapshot(_("current tier"), null=True, blank=True)
    computed_tier = tier_snapshot(_("computed tier"))
    applied_tier = tier_snapshot(_("tier to apply"))
    reason = models.CharField(_("reason"), max_length=10, choices=Assessment.Reason.choices)
    movement = models.CharField(_("movement"), max_length=6, choices=Assessment.Movement.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
        db_index=False,
        db_constraint=False,
    )
    applied_at = models.DateTimeField(_("computed"))
    # An override keeps what the engine proposed here; the manager and the reason (in ``note``) go on to
    # the assessment when the evaluation is approved.
    proposed_tier = tier_snapshot(_("proposed tier"), null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("overridden by"),
    )
    overridden_at = models.DateTimeField(_("overridden"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("proposed assessment")
        verbose_name_plural = _("proposed assessments")
        ordering = ["partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "evaluation_date"], name="proposal_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.evaluation_date}: {self.applied_tier}"


class PartnerTier(models.Model):
    """The current tier of a partner, written by the job with each assessment (one row per partner)."""

    partner = models.OneToOneField(
        Partner,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="current_tier",
        verbose_name=_("partner"),
        db_constraint=False,  # see Assessment: the job writes every partner's row each run
    )
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
        db_constraint=False,
    )
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier"), db_constraint=False
    )
    since = models.DateField(_("since"))
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("assessment"),
        db_index=False,  # only followed from this side; the job rewrites it for every partner
        db_constraint=False,
    )

    objects = ScopedManager(tenant="tenant")
    # Who changed the tier and when. The engine writes these records set-wise, for the partners whose
    # tier changed only (writers.tier_history_record); the indexes kept are the partner's (its history
    # page) and the date's.
    history = tenant_history(no_db_index=["tenant", "tier", "assessment"])

    class Meta:
        verbose_name = _("current tier")
        verbose_name_plural = _("current tiers")

    def __str__(self) -> str:
        return f"{self.partner}: {self.tier}"


class TierPin(models.Model):
    """A manager keeps a partner at a tier until ``ends_on`` whatever its revenue says."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="tier_pins", verbose_name=_("partner")
    )
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier"))
    reason = models.CharField(_("reason"), max_length=300)
    ends_on = models.DateField(
        _("ends on"), help_text=_("Evaluations on or before this date keep the pinned tier.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pinned by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")
    history = tenant_history()

    class Meta:
        verbose_name = _("tier pin")
        verbose_name_plural = _("tier pins")
        ordering = ["-ends_on"]
        indexes = [models.Index(fields=["tenant", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.partner} → {self.tier} (≤ {self.ends_on})"

    def clean(self):
        if errors := cross_tenant_errors(self, "tier", "partner"):
            raise ValidationError(errors)


class RevenueImport(models.Model):
    """One revenue file given to the portal, accepted whole or rejected whole, kept as a record."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    filename = models.CharField(_("file"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    lines = models.PositiveIntegerField(_("data lines"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("first errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("revenue import")
        verbose_name_plural = _("revenue imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


class RevenueImportRow(models.Model):
    """A staged line of an import: checked for duplicates in SQL, then upserted into the ledger at once.

    Staging in the database keeps a million-line import in bounded memory; the rows live only inside
    the import's transaction.
    """

    batch = models.ForeignKey(RevenueImport, on_delete=models.CASCADE, related_name="+")
    line = models.PositiveIntegerField()
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    month = models.DateField()
    category = models.CharField(max_length=12)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["batch", "partner", "month", "category"], name="revenue_import_key")]

    def __str__(self) -> str:
        return f"line {self.line}"
