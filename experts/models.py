"""Experts Zen (seed 002, "Le Programme Experts Zen"): a tenant's network of certified installers.

- ``ExpertProgramme``: the tenant's settings of the programme (minimum tier, the duties that prove the
  vendor's certifications and the charter, the Zen price grid, the test's attempts, how long a
  certification lasts, how long an expert has to answer a mandate).
- ``Speciality``: what an expert is certified on, grouped as the seed lists them.
- ``Expert``: a partner that applied, with its zone (``ExpertZone``, French départements), its guaranteed
  intervention time and its contact; ``ExpertSpeciality``: its application and certification per
  speciality.
- ``CertificationTest``/``Question``/``Choice``: the multiple-choice test of a speciality; ``Attempt``: one
  person's attempt, whose questions and choice order are drawn when it starts, server-side.
- ``Assignment``: an intervention the vendor mandates an expert for, and how fast it was done.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from obligations.models import Category, Duty
from partnerportal.geography import DEPARTEMENT_CHOICES
from partnerportal.models import Membership, Partner, Tenant, cross_tenant_errors
from partnerportal.validators import validate_multiline, validate_single_line
from tiers.calendar import add_months
from tiers.models import Tier


class ExpertProgramme(models.Model):
    """The Experts Zen settings of one tenant. Without one, the tenant runs no Experts programme."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="expert_programme", verbose_name=_("tenant")
    )
    min_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("minimum tier"),
        help_text=_("Partners below this tier cannot be experts, and leave the directory when they drop."),
    )
    charter_duty = models.ForeignKey(
        Duty,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"category": Category.DOCUMENT},
        verbose_name=_("charter duty"),
        help_text=_("The document duty that proves the Experts Zen charter is signed. Empty: not required."),
    )
    offer_duties = models.ManyToManyField(
        Duty,
        related_name="+",
        blank=True,
        verbose_name=_("certification on the offers"),
        help_text=_("The duties that prove the partner is certified on the vendor's offers (all of them)."),
    )
    training_duties = models.ManyToManyField(
        Duty,
        related_name="+",
        blank=True,
        verbose_name=_("certification training"),
        help_text=_("The trainings the partner must have attended (all of them)."),
    )
    price_grid = models.TextField(
        _("Zen price grid"),
        blank=True,
        validators=[validate_multiline],
        help_text=_("The installation prices experts accept; one line per service."),
    )
    price_grid_version = models.PositiveSmallIntegerField(
        _("price grid version"),
        default=1,
        help_text=_("Raise it when the grid changes: every expert must accept the new grid."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts per period"), default=3, validators=[MinValueValidator(1)]
    )
    attempt_period_days = models.PositiveSmallIntegerField(
        _("attempt period (days)"), default=30, validators=[MinValueValidator(1)]
    )
    attempt_minutes = models.PositiveSmallIntegerField(
        _("time for an attempt (minutes)"), default=60, validators=[MinValueValidator(1)]
    )
    validity_months = models.PositiveSmallIntegerField(
        _("certification validity (months)"), default=24, validators=[MinValueValidator(1)]
    )
    response_hours = models.PositiveSmallIntegerField(
        _("time to answer a mandate (hours)"),
        default=48,
        validators=[MinValueValidator(1)],
        help_text=_("An expert accepts or refuses an assignment within this delay."),
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("Experts Zen programme")
        verbose_name_plural = _("Experts Zen programme")

    def __str__(self) -> str:
        return str(_("Experts Zen programme"))

    def clean(self):
        errors = cross_tenant_errors(self, "min_tier", "charter_duty")
        if errors:
            raise ValidationError(errors)


class SpecialityGroup(models.TextChoices):
    # The seed's four headings, in its order.
    METACENTREX = "metacentrex", _("MetaCentrex")
    VOIP = "voip", _("General VoIP: SIP trunk")
    IPBX = "ipbx", _("Specific IPBX")
    NETWORK = "network", _("Network equipment")


class Speciality(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    group = models.CharField(_("group"), max_length=12, choices=SpecialityGroup.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("speciality")
        verbose_name_plural = _("specialities")
        ordering = ["tenant", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="speciality_code_per_tenant",
                violation_error_message=_("Another speciality already has this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Expert(models.Model):
    """A partner in the Experts Zen programme: its zone, guaranteed time and contact.

    ``tier_ok`` says whether its current tier is at least the programme's minimum; the tier-change
    receiver keeps it, set-wise, so the directory drops an expert the moment its tier does.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="expert", verbose_name=_("partner")
    )
    intervention_hours = models.PositiveSmallIntegerField(
        _("guaranteed intervention time (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    contact_name = models.CharField(
        _("contact name"), max_length=150, blank=True, validators=[validate_single_line]
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    price_grid_version = models.PositiveSmallIntegerField(
        _("price grid version accepted"), null=True, blank=True
    )
    price_grid_accepted_at = models.DateTimeField(_("price grid accepted"), null=True, blank=True)
    price_grid_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("price grid accepted by"),
    )
    tier_ok = models.BooleanField(_("tier high enough"), default=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to take the expert out of the directory.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["partner__legal_name"]
        indexes = [models.Index(fields=["tenant", "tier_ok", "is_active"])]

    def __str__(self) -> str:
        return str(self.partner)

    def clean(self):
        if errors := cross_tenant_errors(self, "partner"):
            raise ValidationError(errors)


class ExpertZone(models.Model):
    """One département of an expert's zone (rows rather than a list: the directory filters on them)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    expert = models.ForeignKey(
        Expert, on_delete=models.CASCADE, related_name="zones", verbose_name=_("expert")
    )
    departement = models.CharField(_("département"), max_length=3, choices=DEPARTEMENT_CHOICES)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("zone département")
        verbose_name_plural = _("zone départements")
        ordering = ["departement"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "departement"], name="expertzone_once_per_expert")
        ]
        indexes = [models.Index(fields=["tenant", "departement"])]

    def __str__(self) -> str:
        return self.get_departement_display()


class ExpertSpeciality(models.Model):
    """An expert's application for a speciality, then its certification (until ``expires_on``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    expert = models.ForeignKey(
        Expert, on_delete=models.CASCADE, related_name="specialities", verbose_name=_("expert")
    )
    speciality = models.ForeignKey(
        Speciality, on_delete=models.CASCADE, related_name="experts", verbose_name=_("speciality")
    )
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)
    certified_on = models.DateField(_("certified on"), null=True, blank=True)
    expires_on = models.DateField(_("certification expires on"), null=True, blank=True)
    attempt = models.ForeignKey(
        "Attempt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("passed attempt"),
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("expert speciality")
        verbose_name_plural = _("expert specialities")
        ordering = ["speciality__position", "speciality__name"]
        constraints = [models.UniqueConstraint(fields=["expert", "speciality"], name="expertspeciality_once")]
        indexes = [models.Index(fields=["tenant", "speciality", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.expert} · {self.speciality}"

    def is_certified(self, today: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on >= today


class CertificationTest(models.Model):
    """The multiple-choice test of a speciality (seed: "Réussir les QCM de certification")."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    speciality = models.OneToOneField(
        Speciality, on_delete=models.CASCADE, related_name="test", verbose_name=_("speciality")
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    instructions = models.TextField(_("instructions"), blank=True, validators=[validate_multiline])
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("questions per attempt"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Drawn at random from the test's questions at each attempt (all of them if fewer)."),
    )
    is_active = models.BooleanField(_("open"), default=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("certification test")
        verbose_name_plural = _("certification tests")
        ordering = ["speciality__position", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if errors := cross_tenant_errors(self, "speciality"):
            raise ValidationError(errors)


class Question(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    test = models.ForeignKey(
        CertificationTest, on_delete=models.CASCADE, related_name="questions", verbose_name=_("test")
    )
    text = models.TextField(_("question"), validators=[validate_multiline])
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["test", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    def clean(self):
        if errors := cross_tenant_errors(self, "test"):
            raise ValidationError(errors)


class Choice(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    text = models.CharField(_("answer"), max_length=300, validators=[validate_single_line])
    is_correct = models.BooleanField(_("correct"), default=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question", "pk"]

    def __str__(self) -> str:
        return self.text


class Attempt(models.Model):
    """One person's attempt at a test. The questions and the order of their choices are drawn when it
    starts and kept here, so that a submission is checked against what was shown: a choice of another
    question, or a second submission, is refused."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="expert_attempts", verbose_name=_("partner")
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    test = models.ForeignKey(
        CertificationTest, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("test")
    )
    # [[question id, [choice id, …]], …] in the order shown.
    drawn = models.JSONField(_("questions drawn"), default=list, editable=False)
    # {"question id": [choice id, …]} as submitted.
    answers = models.JSONField(_("answers"), default=dict, editable=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    expires_at = models.DateTimeField(_("to submit before"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), default=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("test attempt")
        verbose_name_plural = _("test attempts")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["membership", "test", "started_at"])]

    def __str__(self) -> str:
        return f"{self.test} · {self.membership.user}"

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None and self.expires_at > timezone.now()


class AssignmentState(models.TextChoices):
    MANDATED = "mandated", pgettext_lazy("assignment state", "Mandated")
    ACCEPTED = "accepted", pgettext_lazy("assignment state", "Accepted")
    REFUSED = "refused", pgettext_lazy("assignment state", "Refused")
    DONE = "done", pgettext_lazy("assignment state", "Done")
    CANCELLED = "cancelled", pgettext_lazy("assignment state", "Cancelled")


class Assignment(models.Model):
    """An intervention the vendor mandates an expert for (seed: "Intervenir sur toutes les prestations pour
    lesquelles il est mandaté").

    The expert's guaranteed time runs from the mandate: ``intervene_by`` is ``mandated_at`` plus the hours
    the expert guaranteed when mandated (copied, so a later change of its promise does not rewrite the
    past). The expert answers before ``respond_by`` (the programme's ``response_hours``).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("expert")
    )
    speciality = models.ForeignKey(
        Speciality, on_delete=models.PROTECT, related_name="+", verbose_name=_("speciality")
    )
    client = models.CharField(_("client"), max_length=200, validators=[validate_single_line])
    place = models.CharField(_("place"), max_length=200, validators=[validate_single_line])
    departement = models.CharField(_("département"), max_length=3, choices=DEPARTEMENT_CHOICES)
    description = models.TextField(_("what to do"), blank=True, validators=[validate_multiline])
    deadline = models.DateTimeField(_("client's deadline"))
    state = models.CharField(
        _("state"), max_length=10, choices=AssignmentState.choices, default=AssignmentState.MANDATED
    )
    guaranteed_hours = models.PositiveSmallIntegerField(_("guaranteed time (hours)"))
    mandated_at = models.DateTimeField(_("mandated"), default=timezone.now)
    mandated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("mandated by"),
    )
    respond_by = models.DateTimeField(_("answer before"))
    intervene_by = models.DateTimeField(_("intervention due"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    refusal_reason = models.TextField(_("reason for refusing"), blank=True, validators=[validate_multiline])
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # The mandate's e-mail is sent at most once (notifications.assignment_notify claims it first).
    notified_at = models.DateTimeField(_("expert e-mailed"), null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-mandated_at"]
        indexes = [models.Index(fields=["expert", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(state="done"), name="assignment_done_iff_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.speciality}"

    @property
    def on_time(self) -> bool | None:
        """Done within the guaranteed time; None while not done."""
        return None if self.done_at is None else self.done_at <= self.intervene_by

    def clean(self):
        if errors := cross_tenant_errors(self, "expert", "speciality"):
            raise ValidationError(errors)


def certification_expiry(passed_on: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer): a test passed on 31 March
    2026 with a 24-month validity holds until 31 March 2028."""
    first = add_months(passed_on, months)
    next_first = add_months(first, 1)
    return first.replace(day=min(passed_on.day, (next_first - dt.timedelta(days=1)).day))
