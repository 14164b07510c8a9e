from typing import NamedTuple

from django.dispatch import Signal


class TierChange(NamedTuple):
    partner_id: int
    old_tier_id: int | None  # None at a partner's first assessment (it was at the entry tier)
    new_tier_id: int
    assessment_id: int


# Sent once per committed chunk of an evaluation that changed tiers, after the commit, with ids only so
# that receivers stay set-based: ``sender=Evaluation, tenant_id, evaluation_date, changes`` (a list of
# TierChange). Notifications, duties, diplomas and welcome packs hook here.
tier_changed = Signal()
