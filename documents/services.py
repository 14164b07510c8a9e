"""Writes of the documents app: issuing diplomas and packs, revoking diplomas, reacting to tier changes.

Invariant: the previous document stays available until the new one exists. A document is rendered first,
its file written to storage, and only then is the row recorded, in a transaction that holds a lock on the
partner; the partner's previous diploma is marked replaced in that same transaction, after the new row. A
storage failure therefore leaves the previous document valid and no row without a file; a failure to
record removes the new file again.

Side effects: the partner's administrators get one e-mail per new document, in the partner's language,
after commit (``documents_notify``); an e-mail that fails is logged and never undoes or repeats the
document. Nothing here queues tasks: receivers and tasks (``receivers.py``, ``tasks.py``) decide that.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from partnerportal.emails import partner_admin_emails, partner_emails
from partnerportal.models import Partner, Tenant
from partnerportal.pdf import PdfSource, logo_asset, render_pdfs, render_source
from partnerportal.tenancy import tenant_scope, tenant_url
from tiers.calendar import latest_due_date, next_evaluation_date
from tiers.models import PartnerTier, Tier
from tiers.selectors import evaluation_is_applied, tier_on

from . import content
from .models import Document

TEMPLATES = {  # each with its stylesheet, the same name in .css
    Document.Kind.DIPLOMA: "documents/pdf/diploma",
    Document.Kind.WELCOME_PACK: "documents/pdf/pack",
    Document.Kind.BOOSTER_PACK: "documents/pdf/pack",
}


def document_source(document: Document) -> PdfSource:
    """The HTML and stylesheet of ``document`` (unsaved is fine) in its language, and the assets it may use
    (the tenant's logo): all the database reading of a rendering, so that the rest needs none."""
    diploma = document.kind == Document.Kind.DIPLOMA
    context = content.diploma_context(document) if diploma else content.pack_context(document)
    assets = logo_asset(document.tenant)
    context["has_logo"] = "logo" in assets
    template = TEMPLATES[document.kind]
    with translation.override(document.language):
        html = render_to_string(f"{template}.html", context)
        css = render_to_string(f"{template}.css", context)
    return PdfSource(html, css, assets)


def document_pdf(document: Document) -> bytes:
    """Render ``document`` (unsaved is fine): its HTML, with the shipped fonts and its assets only."""
    return render_source(document_source(document))


def document_draft(*, partner: Partner, kind: str, tier: Tier | None, today: dt.date) -> Document:
    """An unsaved document of ``kind`` for ``partner``, dated ``today`` (a diploma is valid until the day
    before the next evaluation): what ``document_pdf`` renders and the issuing services keep."""
    return Document(
        tenant=partner.tenant,
        partner=partner,
        kind=kind,
        tier=tier,
        language=partner.language,
        issued_on=today,
        # "Valid until the next evaluation": the day before it, when the partner's tier may change.
        valid_until=next_evaluation_date(partner.tenant, today) - dt.timedelta(days=1)
        if kind == Document.Kind.DIPLOMA
        else None,
    )


def _document_keep(
    document: Document, *, notify: bool, unless: QuerySet | None = None, pdf: bytes | None = None
) -> Document | None:
    """Render ``document`` (unless ``pdf`` is given), write its file, then record it; None (and no file
    left) when ``unless`` finds a row once the partner is locked: another run recorded it meanwhile."""
    pdf = document_pdf(document) if pdf is None else pdf
    document.size = len(pdf)
    document.file.save("document.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            # One issuer at a time per partner, so that ``unless`` and the "replaced" revocation below see
            # what a concurrent run recorded (a no-op on SQLite, which has one writer anyway).
            list(Partner.objects.select_for_update().filter(pk=document.partner_id).values_list("pk"))
            if unless is not None and unless.exists():
                kept = None
            else:
                document.save()
                if document.kind == Document.Kind.DIPLOMA:
                    Document.objects.filter(
                        partner_id=document.partner_id, kind=Document.Kind.DIPLOMA, revoked_at__isnull=True
                    ).exclude(pk=document.pk).update(
                        revoked_at=timezone.now(), revocation=Document.Revocation.REPLACED
                    )
                if notify:
                    # robust: a mail server down is logged, and neither undoes nor repeats the document.
                    transaction.on_commit(lambda: documents_notify(documents=[document]), robust=True)
                kept = document
    except BaseException:
        document.file.delete(save=False)  # no row points at it
        raise
    if kept is None:
        document.file.delete(save=False)
    return kept


def document_issue(
    *,
    partner: Partner,
    kind: str,
    tier: Tier | None = None,
    today: dt.date | None = None,
    notify: bool = True,
) -> Document:
    """Render and keep a new document of ``kind`` for ``partner`` (of ``tier``, by default its tier on
    ``today``). A new diploma replaces the partner's previous one (revoked as replaced once the new row
    exists); packs keep their history. The administrators are e-mailed after commit when ``notify``."""
    today = today or partner.tenant.today()
    tier = tier or tier_on(partner=partner, day=today)
    return _document_keep(document_draft(partner=partner, kind=kind, tier=tier, today=today), notify=notify)


def documents_issue(*, drafts: list[Document], notify: bool = True, processes: int = 1) -> list[Document]:
    """Issue many drafts at once (the demo, the renewal of diplomas): their HTML read here, their PDFs
    rendered by up to ``processes`` processes, then each kept as ``document_issue`` keeps one. A welcome
    pack is kept only if the partner has none by then."""
    pdfs = render_pdfs([document_source(d) for d in drafts], processes=processes)
    kept = []
    for draft, pdf in zip(drafts, pdfs, strict=True):
        unless = None
        if draft.kind == Document.Kind.WELCOME_PACK:
            unless = Document.objects.filter(partner_id=draft.partner_id, kind=Document.Kind.WELCOME_PACK)
        document = _document_keep(draft, notify=notify, unless=unless, pdf=pdf)
        if document is not None:
            kept.append(document)
    return kept


def welcome_pack_issue(
    *, partner: Partner, today: dt.date | None = None, notify: bool = True
) -> Document | None:
    """The partner's welcome pack, once: None when it has one already, or when its programme has no tier
    yet (the pack presents the partner's tier; the demo and the back-office issue it later).

    Checked before rendering, and again under a lock on the partner before recording, so that two runs
    at once (a redelivered task) leave one pack.
    """
    existing = Document.objects.filter(partner=partner, kind=Document.Kind.WELCOME_PACK)
    if existing.exists():
        return None
    today = today or partner.tenant.today()
    tier = tier_on(partner=partner, day=today)
    if tier is None:
        return None
    document = document_draft(partner=partner, kind=Document.Kind.WELCOME_PACK, tier=tier, today=today)
    return _document_keep(document, notify=notify, unless=existing)


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


def diplomas_revoke_inactive(*, tenant: Tenant) -> int:
    """Revoke, in one UPDATE, the valid diplomas of the tenant's partners that are not active.

    The receiver on a partner's save revokes them as the partner is suspended or terminated; a queryset
    ``update()`` of the status bypasses it, and this catches up (the verification page also reads a
    non-active partner's diploma as not valid meanwhile).
    """
    return (
        Document.objects.filter(tenant=tenant, kind=Document.Kind.DIPLOMA, revoked_at__isnull=True)
        .exclude(partner__status=Partner.Status.ACTIVE)
        .update(revoked_at=timezone.now(), revocation=Document.Revocation.SUSPENDED)
    )


def diplomas_renew(
    *, tenant: Tenant, today: dt.date | None = None, notify: bool = True, processes: int = 1
) -> list[Document]:
    """Issue a diploma to each active partner whose current tier awards one and that holds no diploma of
    that tier valid ``today``: an evaluation that confirmed its tier sent no ``tier_changed``, and its
    diploma ran out the day before. Dated from that evaluation, like the diplomas of a tier change.

    Nothing until the evaluation due by ``today`` is finished: until then a partner's tier may still
    change. One query finds the partners; they are then issued with ``documents_issue``.
    """
    today = today or tenant.today()
    evaluated = latest_due_date(tenant, today)
    if not evaluation_is_applied(tenant=tenant, evaluation_date=evaluated):
        return []
    valid_today = Document.objects.filter(
        partner_id=OuterRef("partner_id"),
        tier_id=OuterRef("tier_id"),
        kind=Document.Kind.DIPLOMA,
        revoked_at__isnull=True,
        valid_until__gte=today,
    )
    due = (
        PartnerTier.objects.filter(
            tenant=tenant, tier__awards_diploma=True, partner__status=Partner.Status.ACTIVE
        )
        .exclude(Exists(valid_today))
        .select_related("partner", "partner__tenant", "tier")
        .order_by("partner_id")
    )
    drafts = [
        document_draft(partner=row.partner, kind=Document.Kind.DIPLOMA, tier=row.tier, today=evaluated)
        for row in due
    ]
    return documents_issue(drafts=drafts, notify=notify, processes=processes)


def documents_notify(*, documents: list[Document]) -> int:
    """One e-mail per document to its partner's active administrators, in the partner's language, over
    one connection. Returns how many were sent. Runs after commit, in the documents' tenant scope."""
    by_tenant: dict[int, list[Document]] = defaultdict(list)
    for document in documents:
        by_tenant[document.tenant_id].append(document)
    messages = []
    for tenant_id, of_tenant in by_tenant.items():
        with tenant_scope(tenant_id):
            admins = partner_admin_emails(partner_ids={d.partner_id for d in of_tenant})
            documents_url = tenant_url(of_tenant[0].tenant, "/documents/")
            messages += [
                message
                for document in of_tenant
                if admins.get(document.partner_id)
                for message in partner_emails(
                    partner=document.partner,
                    template="documents/emails/document_ready",
                    context={"document": document, "documents_url": documents_url},
                    to=admins[document.partner_id],
                )
            ]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def _booster_crossed(old: Tier | None, new: Tier, tiers: list[Tier]) -> bool:
    """Whether going from ``old`` to ``new`` reaches, from below, a tier that awards the booster pack.

    ``old`` None is the entry tier (a partner's first assessment). A partner that jumps past the booster
    tier (Starter to Business) reached it on the way; one that comes down onto it did not.
    """
    old_rank = old.rank if old is not None else min(t.rank for t in tiers)
    return any(t.awards_booster_pack and old_rank < t.rank <= new.rank for t in tiers)


def tier_changes_documents(
    *, tenant_id: int, changes: list[tuple[int, int | None, int]], today: dt.date, notify: bool = True
) -> list[Document]:
    """The documents a chunk of tier changes calls for, set-wise and idempotent.

    Revokes the diplomas of a tier left (one UPDATE), then issues a diploma to each active partner whose
    new tier awards one, and a booster pack to each that reached from below a tier that awards it.
    ``changes`` are ``(partner_id, old_tier_id, new_tier_id)``; ``today`` is the evaluation date, the
    documents' date of issue. A document already issued for the change (a task run twice) is not issued
    again. The administrators are e-mailed after commit, one e-mail per new document.
    """
    if not changes:
        return []
    new_tier = {partner_id: new for partner_id, _old, new in changes}
    diplomas_revoke(partner_ids=new_tier, reason=Document.Revocation.TIER_CHANGED, keep_tier_ids=new_tier)
    ladder = list(Tier.objects.filter(tenant_id=tenant_id).order_by("rank"))
    tiers = {t.pk: t for t in ladder}
    partners = Partner.objects.filter(pk__in=new_tier, status=Partner.Status.ACTIVE).select_related("tenant")
    partners = {p.pk: p for p in partners}
    # What a first run of this chunk issued already, in one query (the check under the lock stays).
    done = set(
        Document.objects.filter(
            partner_id__in=partners, issued_on__gte=today, revoked_at__isnull=True
        ).values_list("partner_id", "kind", "tier_id")
    )
    issued = []
    for partner_id, old_id, new_id in changes:
        partner, tier = partners.get(partner_id), tiers.get(new_id)
        if partner is None or tier is None:
            continue
        wanted = [
            (Document.Kind.DIPLOMA, tier.awards_diploma),
            (Document.Kind.BOOSTER_PACK, _booster_crossed(tiers.get(old_id), tier, ladder)),
        ]
        for kind, due in wanted:
            if not due or (partner_id, kind, tier.pk) in done:
                continue
            already = Document.objects.filter(
                partner=partner, kind=kind, tier=tier, issued_on__gte=today, revoked_at__isnull=True
            )
            document = _document_keep(
                document_draft(partner=partner, kind=kind, tier=tier, today=today),
                notify=False,
                unless=already,
            )
            if document is not None:
                issued.append(document)
    if issued and notify:
        transaction.on_commit(lambda: documents_notify(documents=issued), robust=True)
    return issued
