"""The duties' lines on the partner home (partnerportal.activity): reviews of what the partner sent, and
what it has to do — overdue duties first, documents to sign among them."""

import datetime as dt

from django.db.models import Case, F, When
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerportal.activity import Event, RecentRow, Todo, recent_rows

from .models import OPEN_STATES, Category, DutyFulfilment, FulfilmentState
from .selectors import fulfilment_list

REVIEW_TEXTS = {
    FulfilmentState.SUBMITTED: (lambda: _("Sent for review: %(duty)s"), "neutral"),
    FulfilmentState.APPROVED: (lambda: _("Approved: %(duty)s"), "good"),
    FulfilmentState.REFUSED: (lambda: _("Refused, to send again: %(duty)s"), "bad"),
    FulfilmentState.WAIVED: (lambda: _("Waived by your manager: %(duty)s"), "good"),
}


def review_events(partner):
    return recent_rows(
        DutyFulfilment.objects.filter(partner=partner, state__in=list(REVIEW_TEXTS)),
        kind="review",
        at=Case(When(state=FulfilmentState.SUBMITTED, then=F("submitted_at")), default=F("decided_at")),
        state=F("state"),
        label=F("duty__title"),
    )


def describe(row: RecentRow) -> Event | None:
    if row.state not in REVIEW_TEXTS:
        return None
    text, tone = REVIEW_TEXTS[row.state]
    return Event(
        at=row.at,
        text=text() % {"duty": row.label},
        url=reverse("obligations:fulfilment-detail", args=[row.ref]),
        tone=tone,
        kind="review",
    )


def duties_to_do(partner, today: dt.date, limit: int = 6) -> list[Todo]:
    """The partner's open duties, soonest due first (one query, read as plain values: the home page is
    the portal's busiest)."""
    rows = (
        fulfilment_list(partner=partner)
        .filter(state__in=OPEN_STATES)
        .order_by("due_date", "pk")
        .values_list("pk", "state", "due_date", "duty__title", "duty__category")[:limit]
    )
    items = []
    for pk, state, due_date, title, category in rows:
        if state == FulfilmentState.REFUSED:
            text = _("Send again: %(duty)s") % {"duty": title}
        elif category == Category.DOCUMENT:
            text = _("Document to sign and send: %(duty)s") % {"duty": title}
        else:
            text = title
        items.append(
            Todo(
                text=text,
                url=reverse("obligations:fulfilment-detail", args=[pk]),
                due=due_date,
                overdue=due_date < today,
                kind=category,
            )
        )
    return items
