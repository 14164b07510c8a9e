"""The documents' lines on the partner home: a new diploma or pack (partnerportal.activity)."""

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerportal.activity import Event, RecentRow, recent_rows

from .models import Document


def new_documents(partner):
    return recent_rows(
        Document.objects.filter(partner=partner, revoked_at__isnull=True),
        kind="document",
        at=F("created_at"),
        state=F("kind"),
        label=Coalesce("tier__name", Value("")),
    )


def describe(row: RecentRow) -> Event:
    kind = Document.Kind(row.state).label if row.state in Document.Kind.values else row.state
    if row.label:
        text = _("New document: %(kind)s %(tier)s") % {"kind": kind, "tier": row.label}
    else:
        text = _("New document: %(kind)s") % {"kind": kind}
    return Event(at=row.at, text=text, url=reverse("documents:document-list"), tone="good", kind="document")
