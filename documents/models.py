"""The documents the portal issues to partners: diplomas, welcome and booster packs (seeds 000 and 002).

A ``Document`` is a PDF rendered once and kept in the ``documents`` storage (``settings.STORAGES``: a private
folder by default, object storage by configuration) under a server-generated name; partners download it
through a checked view. A diploma carries a random verification code (128 bits, never the primary key)
that ``/verify/<code>`` checks publicly; it is valid until the next evaluation unless revoked, which
happens when the partner's tier changes or the partner is suspended.
"""

import secrets
import uuid

from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from partnerportal.models import Partner, Tenant
from tiers.models import Tier


def new_code() -> str:
    # 128 random bits (the floor), 22 characters: the verification address then fits a QR code of
    # version 4 (33 modules a side) rather than 5, a fifth less for the diploma to draw.
    return secrets.token_urlsafe(16)


def documents_storage():
    """The storage of the documents (a callable, so that migrations do not freeze a backend)."""
    return storages["documents"]


def document_path(document: "Document", filename: str) -> str:
    # The name is the server's: the tenant's folder, the kind and a random name, never a partner's text.
    return f"tenants/{document.tenant_id}/documents/{document.kind}/{uuid.uuid4().hex}.pdf"


class Document(models.Model):
    class Kind(models.TextChoices):
        DIPLOMA = "diploma", _("Diploma")
        WELCOME_PACK = "welcome_pack", _("Welcome pack")
        BOOSTER_PACK = "booster_pack", _("Booster pack")

    class Revocation(models.TextChoices):
        TIER_CHANGED = "tier_changed", _("The partner's tier changed")
        SUSPENDED = "suspended", _("The partner is suspended")
        REPLACED = "replaced", _("Replaced by a newer document")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="documents", verbose_name=_("partner")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("tier")
    )
    language = models.CharField(_("language"), max_length=8)
    file = models.FileField(_("file"), storage=documents_storage, upload_to=document_path, max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    code = models.CharField(
        _("verification code"), max_length=43, unique=True, default=new_code, editable=False
    )
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(pgettext_lazy("a document", "revoked"), null=True, blank=True)
    revocation = models.CharField(_("why revoked"), max_length=16, choices=Revocation.choices, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "kind", "-created_at"], name="document_partner_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.partner}"

    @property
    def filename(self) -> str:
        """The name the partner's browser saves it under (ASCII, from the kind and the reference)."""
        return f"{self.kind.replace('_', '-')}-{self.partner.external_ref}-{self.issued_on:%Y-%m-%d}.pdf"


class Contact(models.Model):
    """Who partners call: the support lines and the escalation grid printed in the packs."""

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support")
        ESCALATION = "escalation", _("Escalation")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(
        _("level"), default=1, help_text=_("Escalation level: 1 first, then 2, 3…")
    )
    title = models.CharField(_("title"), max_length=120, help_text=_("E.g. Technical support, Sales desk."))
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    hours = models.CharField(_("hours"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["kind", "level", "position"]

    def __str__(self) -> str:
        return self.title
