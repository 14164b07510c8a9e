"""Reads of the documents app: what a document is worth on a day, a partner's shelf of documents.

One rule for a diploma's validity, in two forms that must agree: ``diploma_state`` for a row in hand (the
portal, the verification page, the back-office's column and its regenerate action) and
``diplomas_in_state`` for a queryset (the back-office's filter).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from partnerportal.models import Partner

from .models import Document


class State(models.TextChoices):
    """What a document is worth today, as "Mes documents", the verification page and the back-office say it."""

    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Partnership not active")
    REVOKED = "revoked", _("Revoked")
    CURRENT = "current", _("Current")
    OLDER = "older", _("Older version")


def diploma_state(document: Document, *, today: dt.date) -> State:
    """A diploma is valid only while it is not revoked, its partner is active and ``today`` is on or before
    its last valid day. It fails closed: a diploma without an end date is not certified as valid.
    ``document.partner`` is read (select it with the document)."""
    if document.revoked_at is not None:
        return State.REVOKED
    if document.partner.status != Partner.Status.ACTIVE:
        return State.WITHDRAWN
    if document.valid_until is None or document.valid_until < today:
        return State.EXPIRED
    return State.VALID


@dataclass
class Shelf:
    """A partner's documents as "Mes documents" shows them; each carries its ``state``."""

    diploma: Document | None = None
    packs: list[Document] = field(default_factory=list)
    history: list[Document] = field(default_factory=list)


def document_shelf(*, partner: Partner, today: dt.date) -> Shelf:
    """One query: the valid diploma, the newest pack of each kind, the rest as history, the newest first.
    Packs never expire; a newer one of the same kind (a regenerated one, or a booster pack for a later
    tier) makes the older "older"."""
    shelf, seen = Shelf(), set()
    documents = Document.objects.filter(partner=partner).select_related("partner", "tier")
    for document in documents.order_by("-created_at", "-id"):
        if document.kind == Document.Kind.DIPLOMA:
            document.state = diploma_state(document, today=today)
            # A new diploma revokes the older; were two valid, the older would be history, marked valid
            # as its verification page says.
            if document.state == State.VALID and shelf.diploma is None:
                shelf.diploma = document
                continue
        elif document.revoked_at is not None:
            document.state = State.REVOKED
        elif document.kind in seen:
            document.state = State.OLDER
        else:
            seen.add(document.kind)
            document.state = State.CURRENT
            shelf.packs.append(document)
            continue
        shelf.history.append(document)
    return shelf


def diplomas_in_state(queryset: QuerySet[Document], state: str, *, today: dt.date) -> QuerySet[Document]:
    """The diplomas of ``queryset`` that ``diploma_state`` puts in ``state`` on ``today`` (VALID, EXPIRED,
    WITHDRAWN or REVOKED); the other documents are left out."""
    diplomas = queryset.filter(kind=Document.Kind.DIPLOMA)
    if state == State.REVOKED:
        return diplomas.filter(revoked_at__isnull=False)
    standing = diplomas.filter(revoked_at__isnull=True)
    if state == State.WITHDRAWN:
        return standing.exclude(partner__status=Partner.Status.ACTIVE)
    standing = standing.filter(partner__status=Partner.Status.ACTIVE)
    if state == State.EXPIRED:
        return standing.filter(Q(valid_until__lt=today) | Q(valid_until__isnull=True))
    if state == State.VALID:
        return standing.filter(valid_until__gte=today)
    raise ValueError(f"not a diploma's state: {state!r}")
