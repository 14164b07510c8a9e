from django.dispatch import Signal

# Sent once per partner whose tier changed at an evaluation, after the change is committed.
# Arguments: assessment_id, partner_id, tenant_id, old_tier (None at a partner's first assessment, when it
# leaves the entry tier), new_tier. Diplomas and welcome packs hook here.
tier_changed = Signal()
