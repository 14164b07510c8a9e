"""Writes of the documents app: issuing a document, revoking diplomas, reacting to tier changes.

A document is rendered first and saved to storage, and only then recorded; the partner's previous document
of the same kind stays available until the new one exists (a diploma is then revoked as "replaced"). The
partner's administrators are e-mailed that a new document is ready, after commit.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from partnerportal.emails import partner_admin_emails, partner_email
from partnerportal.models import Partner
from partnerportal.pdf import render_pdf
from tiers.calendar import next_evaluation_date
from tiers.models import Tier
from tiers.selectors import tier_on

from . import content
from .models import Document

TEMPLATES = {
    Document.Kind.DIPLOMA: "documents/pdf/diploma.html",
    Document.Kind.WELCOME_PACK: "documents/pdf/pack.html",
    Document.Kind.BOOSTER_PACK: "documents/pdf/pack.html",
}


def document_pdf(document: Document) -> bytes:
    """Render ``document`` (unsaved is fine) in its language, with the tenant's logo and nothing else."""
    diploma = document.kind == Document.Kind.DIPLOMA
    context = content.diploma_context(document) if diploma else content.pack_context(document)
    assets = content.logo_asset(document.tenant)
    with translation.override(document.language):
        html = render_to_string(TEMPLATES[document.kind], {**context, "has_logo": "logo" in assets})
    return render_pdf(html, assets=assets)


def document_issue(
    *,
    partner: Partner,
    kind: str,
    tier: Tier | None = None,
    today: dt.date | None = None,
    notify: bool = True,
) -> Document:
    """Render and keep a new document of ``kind`` for ``partner`` (a diploma for ``tier``, by default its
    tier today). The previous diplomas are revoked as replaced once the new one is saved; packs keep their
    history. The administrators are e-mailed after commit when ``notify``."""
    today = today or partner.tenant.today()
    tier = tier or tier_on(partner=partner, day=today)
    document = Document(
        tenant=partner.tenant,
        partner=partner,
        kind=kind,
        tier=tier,
        language=partner.language,
        issued_on=today,
        valid_until=next_evaluation_date(partner.tenant, today) - dt.timedelta(days=1)
        if kind == Document.Kind.DIPLOMA
        else None,
    )
    pdf = document_pdf(document)
    document.size = len(pdf)
    # The file is written before the row: a failure leaves at worst an orphan file, never a row without one.
    document.file.save("document.pdf", ContentFile(pdf), save=False)
    with transaction.atomic():
        document.save()
        if kind == Document.Kind.DIPLOMA:
            Document.objects.filter(
                partner=partner, kind=Document.Kind.DIPLOMA, revoked_at__isnull=True
            ).exclude(pk=document.pk).update(
                revoked_at=timezone.now(), revocation=Document.Revocation.REPLACED
            )
        if notify:
            transaction.on_commit(lambda: documents_notify(documents=[document]))
    return document


def diplomas_revoke(
    *, partner_ids: Iterable[int], reason: str, keep_tier_ids: dict[int, int] | None = None
) -> int:
    """Revoke the valid diplomas of ``partner_ids`` (one read, one UPDATE); with ``keep_tier_ids`` (partner
    id -> tier id), a partner's diploma of that tier stays valid. Returns how many were revoked."""
    keep = keep_tier_ids or {}
    valid = Document.objects.filter(
        partner_id__in=list(partner_ids), kind=Document.Kind.DIPLOMA, revoked_at__isnull=True
    ).values_list("pk", "partner_id", "tier_id")
    to_revoke = [pk for pk, partner_id, tier_id in valid if keep.get(partner_id) != tier_id]
    if not to_revoke:
        return 0
    return Document.objects.filter(pk__in=to_revoke).update(revoked_at=timezone.now(), revocation=reason)


def documents_notify(*, documents: list[Document]) -> None:
    """One e-mail per document to its partner's administrators: a new document is ready."""
    admins = partner_admin_emails(partner_ids={d.partner_id for d in documents})
    for document in documents:
        to = admins.get(document.partner_id)
        if not to:
            continue
        partner_email(
            partner=document.partner,
            template="documents/emails/document_ready",
            context={
                "document": document,
                "documents_url": content.tenant_url(document.tenant, "/documents/"),
            },
            to=to,
        ).send()


def tier_changes_documents(
    *, tenant_id: int, changes: list[tuple[int, int | None, int]], today: dt.date
) -> list[Document]:
    """The documents a chunk of tier changes calls for, set-wise: revoke the diplomas of a tier left, then
    issue a diploma to each partner whose new tier awards one and a booster pack to each that reached
    (from below) a tier that awards it. ``changes`` are ``(partner_id, old_tier_id, new_tier_id)``."""
    if not changes:
        return []
    new_tier = {partner_id: new for partner_id, _old, new in changes}
    diplomas_revoke(partner_ids=new_tier, reason=Document.Revocation.TIER_CHANGED, keep_tier_ids=new_tier)
    tiers = {t.pk: t for t in Tier.objects.filter(tenant_id=tenant_id)}
    partners = {
        p.pk: p
        for p in Partner.objects.filter(pk__in=new_tier, status=Partner.Status.ACTIVE).select_related(
            "tenant"
        )
    }
    issued = []
    for partner_id, old_id, new_id in changes:
        partner, tier = partners.get(partner_id), tiers.get(new_id)
        if partner is None or tier is None:
            continue
        old = tiers.get(old_id)
        if tier.awards_diploma:
            issued.append(
                document_issue(
                    partner=partner, kind=Document.Kind.DIPLOMA, tier=tier, today=today, notify=False
                )
            )
        if tier.awards_booster_pack and (old is None or old.rank < tier.rank):
            issued.append(
                document_issue(
                    partner=partner, kind=Document.Kind.BOOSTER_PACK, tier=tier, today=today, notify=False
                )
            )
    if issued:
        transaction.on_commit(lambda: documents_notify(documents=issued))
    return issued
