"""The core of the portal: tenants (vendors running a programme), partners, and the people in them.

Every model a tenant owns carries a non-null ``tenant`` and a django-scopes ``ScopedManager`` as its
default manager, so that a query outside ``tenant_scope(...)`` raises instead of reading every tenant's
rows. The middleware opens the scope for web requests; commands and Celery tasks open it from a tenant id.
"""

import hashlib
import secrets
import zoneinfo
from datetime import timedelta
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import (
    FileExtensionValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField
from django_scopes import ScopedManager

from .history import tenant_history
from .validators import (
    validate_evaluation_months,
    validate_logo,
    validate_multiline,
    validate_single_line,
    validate_siren,
    validate_siret,
)

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class HttpsURLField(models.URLField):
    """A URL field whose forms read "example.fr" as https://example.fr (Django 6's default, now)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


def cross_tenant_errors(instance, *fields: str) -> dict:
    """Errors for references to another tenant's objects: model clean() refuses them too, not only the
    scoped form choices (the superuser's back-office runs unscoped)."""
    errors = {}
    for field in fields:
        related = getattr(instance, field) if getattr(instance, f"{field}_id") else None
        if related is not None and instance.tenant_id and related.tenant_id != instance.tenant_id:
            errors[field] = _("This choice belongs to another programme.")
    return errors


def tenant_upload_to(instance, filename: str) -> str:
    """Files live under their tenant's folder, so that one tenant's files never shadow another's."""
    tenant_id = instance.pk if isinstance(instance, Tenant) else instance.tenant_id
    return f"tenants/{tenant_id}/{type(instance).__name__.lower()}/{filename}"


class Tenant(models.Model):
    """A vendor that runs a partner programme (Dstny, OpenIP, …)."""

    class Currency(models.TextChoices):
        EUR = "EUR", _("Euro (€)")

    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, validators=[validate_single_line]
    )
    logo = models.FileField(
        _("logo"),
        upload_to=tenant_upload_to,
        blank=True,
        validators=[FileExtensionValidator(["svg", "png", "jpg", "jpeg", "webp"]), validate_logo],
        help_text=_("SVG, PNG, JPEG or WebP. Images are saved again, at most 1200 pixels a side."),
    )
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f3a93", validators=[hex_colour]
    )
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#f39c12", validators=[hex_colour]
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_timezone]
    )
    evaluation_period_months = models.PositiveSmallIntegerField(
        _("evaluation period (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Tiers are re-evaluated over this many complete months."),
    )
    evaluation_months = models.JSONField(
        _("evaluation months"),
        default=list,
        validators=[validate_evaluation_months],
        help_text=_("Months (1–12) on whose first day tiers are re-evaluated, e.g. [1, 7]."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.evaluation_months:
            self.evaluation_months = [1, 7]
        super().save(*args, **kwargs)

    def today(self):
        """Today's date in the tenant's time zone: due dates and evaluations are the tenant's days."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.timezone))

    @property
    def logo_url(self) -> str:
        """Where pages load the logo from, "" without one: the storage's own URL when it is not the local
        file system (object storage serves its files), else the logo view (``partnerportal.logos``), which
        answers with any DEBUG and lets browsers keep the file a year; the URL holds the file's name, which
        changes with the logo (``uploads.logo_clean`` names it by its content's hash)."""
        if not self.logo:
            return ""
        if not isinstance(self.logo.storage, FileSystemStorage):
            return self.logo.url
        return reverse("partnerportal:tenant-logo", args=[PurePosixPath(self.logo.name).name])

    @cached_property
    def primary_host(self) -> str:
        """The host its portal is served on: its primary domain, else its first. Read once per instance (a
        run that issues documents for many partners shares its tenant)."""
        return (
            self.domains.order_by("-is_primary", "host").values_list("host", flat=True).first() or "localhost"
        )


class TenantDomain(models.Model):
    """A host name that serves a tenant's portal. Read before any scope exists, so it is not scoped."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="domains", verbose_name=_("tenant")
    )
    host = models.CharField(
        _("host name"),
        max_length=253,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9.-]+$", _("Lower-case host name without port or scheme."))],
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("host name")
        verbose_name_plural = _("host names")
        ordering = ["-is_primary", "host"]

    def __str__(self) -> str:
        return self.host


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. People log in with their e-mail address; what they may see comes from memberships."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[validate_single_line]
    )
    last_name = models.CharField(
        _("last name"), max_length=150, blank=True, validators=[validate_single_line]
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class PartnerType(models.Model):
    """A kind of partner in a programme (demo: Ambassadeur, graded on RRM; Opérateur, graded on CA)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="partner_types", verbose_name=_("tenant")
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    grading_basis = models.CharField(
        _("grading basis"),
        max_length=100,
        help_text=_("What the tier is computed on, as partners read it (e.g. monthly recurring revenue)."),
    )
    grading_basis_short = models.CharField(_("short grading basis"), max_length=10, blank=True)
    description = models.TextField(_("description"), blank=True, validators=[validate_multiline])
    has_operator_plans = models.BooleanField(
        _("has operator plans"), default=False, help_text=_("Partners of this type choose an operator plan.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("partner type")
        verbose_name_plural = _("partner types")
        ordering = ["tenant", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="partnertype_code_per_tenant",
                violation_error_message=_("A partner type with this code already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class OperatorPlan(models.Model):
    """An operator sub-programme (Dstny: Opérateur, Opérateur E-shop, Opérateur E-shop managé)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="operator_plans", verbose_name=_("tenant")
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True, validators=[validate_multiline])
    opening_fee = models.DecimalField(
        _("opening fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(0)],
    )
    revenue_share_min = models.DecimalField(
        _("minimum revenue share (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    revenue_share_max = models.DecimalField(
        _("maximum revenue share (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("operator plan")
        verbose_name_plural = _("operator plans")
        ordering = ["tenant", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="operatorplan_code_per_tenant",
                violation_error_message=_("An operator plan with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(revenue_share_min__lte=models.F("revenue_share_max")),
                name="operatorplan_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if (
            self.revenue_share_min is not None
            and self.revenue_share_max is not None
            and self.revenue_share_min > self.revenue_share_max
        ):
            raise ValidationError({"revenue_share_max": _("The maximum must not be below the minimum.")})


class Partner(models.Model):
    """A company in a vendor's partner programme."""

    # What the partner's own administrators may edit ("Mon entreprise"); the back-office shows the same.
    CONTACT_FIELDS = [
        "address_line1",
        "address_line2",
        "postal_code",
        "city",
        "region",
        "country",
        "phone",
        "email",
        "website",
        "preferred_language",
    ]

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", pgettext_lazy("partner status", "Active")  # "Actif", not the list's "Actifs"
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="partners", verbose_name=_("tenant")
    )
    external_ref = models.CharField(
        _("external reference"), max_length=50, help_text=_("The vendor's billing code for this partner.")
    )
    legal_name = models.CharField(_("legal name"), max_length=200, validators=[validate_single_line])
    trade_name = models.CharField(
        _("trade name"), max_length=200, blank=True, validators=[validate_single_line]
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    address_line1 = models.CharField(
        _("address"), max_length=200, blank=True, validators=[validate_single_line]
    )
    address_line2 = models.CharField(
        _("address (continued)"), max_length=200, blank=True, validators=[validate_single_line]
    )
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True, validators=[validate_single_line])
    region = models.CharField(_("region"), max_length=100, blank=True, validators=[validate_single_line])
    country = CountryField(_("country"), default="FR")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    website = HttpsURLField(_("website"), blank=True)
    partner_type = models.ForeignKey(
        PartnerType, on_delete=models.PROTECT, related_name="partners", verbose_name=_("partner type")
    )
    operator_plan = models.ForeignKey(
        OperatorPlan,
        on_delete=models.PROTECT,
        related_name="partners",
        null=True,
        blank=True,
        verbose_name=_("operator plan"),
    )
    revenue_share = models.DecimalField(
        _("revenue share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Agreed share of billed revenue, within the operator plan's range."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLICANT)
    date_joined = models.DateField(_("date joined"), default=timezone.localdate)
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_partners",
        verbose_name=_("channel manager"),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="fr",
        help_text=_("The language of the e-mails and documents the company receives."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager(tenant="tenant")
    # Who changed its status, type or contact details, and when (the back-office's history).
    history = tenant_history(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                name="partner_ref_per_tenant",
                violation_error_message=_("A partner with this external reference already exists."),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"]),
            # The back-office's partner list, a page of 50 in name order (the admin adds -pk): read from the
            # index instead of sorting a tenant's 50,000 partners. Its search has trigram indexes
            # (migration 0005, PostgreSQL only).
            models.Index(fields=["tenant", "legal_name", "-id"], name="partner_list_order"),
            models.Index(fields=["tenant", "date_joined"], name="partner_joined"),  # its date hierarchy
        ]

    def __str__(self) -> str:
        return self.trade_name or self.legal_name

    def clean(self):
        errors = {}
        if self.siret and not self.siren:
            self.siren = self.siret[:9]
        if self.siret and self.siren and not self.siret.startswith(self.siren):
            errors["siret"] = _("The SIRET must start with the SIREN %(siren)s.") % {"siren": self.siren}
        errors.update(cross_tenant_errors(self, "partner_type", "operator_plan"))
        if self.partner_type_id and "partner_type" not in errors:
            if self.operator_plan_id and not self.partner_type.has_operator_plans:
                errors["operator_plan"] = _("Only partners of an operator type have an operator plan.")
        if self.operator_plan_id and self.revenue_share is not None and "operator_plan" not in errors:
            plan = self.operator_plan
            if not plan.revenue_share_min <= self.revenue_share <= plan.revenue_share_max:
                errors["revenue_share"] = _("The %(plan)s plan takes between %(min)s %% and %(max)s %%.") % {
                    "plan": plan.name,
                    "min": number_format(plan.revenue_share_min.normalize()),
                    "max": number_format(plan.revenue_share_max.normalize()),
                }
        if errors:
            raise ValidationError(errors)

    @property
    def language(self) -> str:
        """The language of what the company is sent (e-mails, documents): its own, else its programme's."""
        return self.preferred_language or self.tenant.default_language


class Membership(models.Model):
    """What a person is in a tenant: a partner's admin, sales or technical contact, or a partner manager."""

    class Role(models.TextChoices):
        # The seeds' "profils admin, vente, technique".
        ADMIN = "admin", _("Administrator")
        SALES = "sales", _("Sales")
        TECHNICAL = "technical", _("Technical")
        MANAGER = "manager", _("Partner manager")

    PARTNER_ROLES = (Role.ADMIN, Role.SALES, Role.TECHNICAL)

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("tenant")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        verbose_name=_("partner"),
    )
    role = models.CharField(_("profile"), max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["tenant", "partner", "user__email"]
        constraints = [
            # One membership per person and tenant keeps "who is this person here?" unambiguous.
            models.UniqueConstraint(
                fields=["tenant", "user"],
                name="membership_one_per_tenant",
                violation_error_message=_("This person already has access to this portal."),
            ),
            models.CheckConstraint(
                condition=(Q(role="manager") & Q(partner__isnull=True))
                | (Q(role__in=["admin", "sales", "technical"]) & Q(partner__isnull=False)),
                name="membership_partner_iff_partner_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.partner or self.tenant} ({self.get_role_display()})"

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def is_partner_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    def clean(self):
        if self.role == self.Role.MANAGER and self.partner_id:
            raise ValidationError({"partner": _("A partner manager does not belong to a partner.")})
        if self.role != self.Role.MANAGER and not self.partner_id:
            raise ValidationError({"partner": _("Choose the partner this person belongs to.")})
        if errors := cross_tenant_errors(self, "partner"):
            raise ValidationError(errors)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring invitation to join a tenant (as a partner's person or a manager).

    Only the SHA-256 of the token is stored: the link in the e-mail is the only copy of the token.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("tenant")
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
        verbose_name=_("partner"),
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("profile"), max_length=12, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant", _manager_class=models.Manager.from_queryset(InvitationQuerySet))

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def default_expiry():
        return timezone.now() + timedelta(days=settings.INVITATION_VALIDITY_DAYS)

    def clean(self):
        errors = {}
        if self.role == Membership.Role.MANAGER and self.partner_id:
            errors["partner"] = _("A partner manager does not belong to a partner.")
        elif self.role and self.role != Membership.Role.MANAGER and not self.partner_id:
            errors["partner"] = _("Choose the partner this person will belong to.")
        else:
            errors.update(cross_tenant_errors(self, "partner"))
        if self.email and self.tenant_id and not self.pk:
            self.email = self.email.strip().lower()
            already = Membership.objects.with_scopes_disabled().filter(
                tenant_id=self.tenant_id, user__email__iexact=self.email
            )
            if already.exists():
                errors["email"] = _("%(email)s already has access to this portal.") % {"email": self.email}
        if errors:
            raise ValidationError(errors)

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
