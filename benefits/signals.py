from django.dispatch import Signal

# Sent when claims reach a decided state (approved, fulfilled, refused), once per tenant, with ids only:
# ``sender=Claim, tenant_id, claim_ids, state``. The partners' e-mails are queued on it, after commit
# (receivers.py); the tasks call the services, so the services do not import the tasks.
claims_decided = Signal()
