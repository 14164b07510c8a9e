"""The benefits' lines on the partner home: claims and their decisions (partnerportal.activity)."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerportal.activity import Event, RecentRow, recent_rows

from .models import Claim

TEXTS = {
    Claim.State.PENDING: (lambda: _("You claimed %(benefit)s"), "neutral"),
    Claim.State.APPROVED: (lambda: _("Claim approved: %(benefit)s"), "good"),
    Claim.State.FULFILLED: (lambda: _("Benefit delivered: %(benefit)s"), "good"),
    Claim.State.REFUSED: (lambda: _("Claim refused: %(benefit)s"), "bad"),
    Claim.State.CANCELLED: (lambda: _("Claim cancelled: %(benefit)s"), "neutral"),
}


def claim_events(partner):
    return recent_rows(
        Claim.objects.filter(partner=partner),
        kind="claim",
        # The claim's latest step.
        at=Coalesce("cancelled_at", "fulfilled_at", "decided_at", "created_at"),
        state=F("state"),
        label=F("benefit__title"),
    )


def describe(row: RecentRow) -> Event | None:
    if row.state not in TEXTS:
        return None
    text, tone = TEXTS[row.state]
    return Event(
        at=row.at,
        text=text() % {"benefit": row.label},
        url=reverse("benefits:benefit-list"),
        tone=tone,
        kind="claim",
    )
