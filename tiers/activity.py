"""The tiers' lines on the partner home: tier changes at evaluations (partnerportal.activity)."""

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerportal.activity import Event, RecentRow, recent_rows

from .models import Assessment


def tier_changes(partner):
    moves = (Assessment.Movement.UP, Assessment.Movement.DOWN)
    return recent_rows(
        Assessment.objects.filter(partner=partner, movement__in=moves),
        kind="tier",
        at=F("evaluation_date"),
        state=F("movement"),
        label=F("applied_tier__name"),
    )


def describe(row: RecentRow) -> Event:
    if row.state == Assessment.Movement.UP:
        text, tone = _("Promoted to %(tier)s at the evaluation") % {"tier": row.label}, "good"
    else:
        text, tone = _("Moved to %(tier)s at the evaluation") % {"tier": row.label}, "bad"
    return Event(at=row.at, text=text, url=reverse("tiers:status"), tone=tone, kind="tier")
