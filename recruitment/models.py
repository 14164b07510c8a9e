"""Recruitment: the tenant's membership criteria, the applications that come from the public form, and how
each application was vetted against the criteria (seed 004, "Quels sont les critères d'adhésion à ce
programme": commitment on a figure, market contribution, product skills, customer satisfaction).

An application is a ``Partner`` in status *applicant* (the company, its type and plan, where it works) plus
an ``Application`` with the rest: the contact person, what it sells, its message, and the decision. A
manager ticks each criterion with a note (``CriterionCheck``), then accepts (the partner becomes active at
the entry tier and its administrator is invited) or refuses with a reason the applicant reads. Writes go
through ``services.py``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from partnerportal.history import tenant_history
from partnerportal.models import Invitation, Partner, Tenant, cross_tenant_errors
from partnerportal.validators import validate_multiline, validate_single_line
from tiers.models import Tier


class MembershipCriterion(models.Model):
    """One line of a tenant's checklist for vetting applicants; managers edit the list."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=150, validators=[validate_single_line])
    description = models.TextField(
        _("description"),
        blank=True,
        validators=[validate_multiline],
        help_text=_("What the manager checks, and what the public programme page tells applicants."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive criteria are no longer checked nor shown.")
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("membership criterion")
        verbose_name_plural = _("membership criteria")
        ordering = ["tenant", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="criterion_code_per_tenant",
                violation_error_message=_("Another criterion already has this code."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Application(models.Model):
    """What an applicant told us besides its company (its ``partner``), and the decision taken on it."""

    class State(models.TextChoices):
        # In their own context: other apps' "Accepted" and "Refused" agree with other French nouns.
        PENDING = "pending", pgettext_lazy("application state", "To vet")
        ACCEPTED = "accepted", pgettext_lazy("application state", "Accepted")
        REFUSED = "refused", pgettext_lazy("application state", "Refused")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="application", verbose_name=_("company")
    )
    contact_first_name = models.CharField(_("first name"), max_length=150, validators=[validate_single_line])
    contact_last_name = models.CharField(_("last name"), max_length=150, validators=[validate_single_line])
    contact_email = models.EmailField(_("e-mail address"))
    contact_phone = models.CharField(_("phone"), max_length=30, validators=[validate_single_line])
    products = models.CharField(_("products sold"), max_length=500, validators=[validate_multiline])
    message = models.TextField(_("message"), max_length=3000, blank=True, validators=[validate_multiline])
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    refusal_reason = models.TextField(
        _("reason for refusal"), max_length=1000, blank=True, validators=[validate_multiline]
    )
    entry_tier = models.ForeignKey(
        Tier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entry tier"),
        help_text=_("The tier the partner started at when it was accepted."),
    )
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invitation"),
    )
    # Guards of the e-mail tasks: set in a locked update before sending, so a retried task sends nothing twice.
    managers_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    applicant_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")
    # Who decided, and when (the back-office's history).
    history = tenant_history(excluded_fields=["managers_notified_at", "applicant_notified_at"])

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at"]
        # The review queue counts a tenant's pending applications and reads the oldest few (the dashboard).
        indexes = [models.Index(fields=["tenant", "state", "submitted_at"], name="application_queue")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refusal_reason=""), name="application_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False), name="application_decision_dated"
            ),
        ]

    def __str__(self) -> str:
        return str(self.partner)

    @property
    def contact_name(self) -> str:
        return f"{self.contact_first_name} {self.contact_last_name}".strip()

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING

    def clean(self):
        errors = cross_tenant_errors(self, "partner", "entry_tier")
        if self.state == self.State.REFUSED and not self.refusal_reason.strip():
            errors["refusal_reason"] = _("Say why the application is refused.")
        if errors:
            raise ValidationError(errors)


class CriterionCheck(models.Model):
    """A manager's verdict on one criterion for one application, with a note."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="checks", verbose_name=_("application")
    )
    # PROTECT: a criterion that vetted applications stays, made inactive, so that their record stays whole.
    criterion = models.ForeignKey(
        MembershipCriterion, on_delete=models.PROTECT, related_name="checks", verbose_name=_("criterion")
    )
    met = models.BooleanField(_("met"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True, validators=[validate_multiline])
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)

    objects = ScopedManager(tenant="tenant")
    history = tenant_history()

    class Meta:
        verbose_name = _("criterion check")
        verbose_name_plural = _("criterion checks")
        ordering = ["criterion__position", "criterion__title"]
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="one_check_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.criterion}"

    def clean(self):
        if errors := cross_tenant_errors(self, "application", "criterion"):
            raise ValidationError(errors)
