from django.dispatch import Signal

# Sent after the commit of a manager's decisions (approve, refuse, waive), with ids only:
# ``sender=DutyFulfilment, tenant_id, fulfilment_ids``. The partners' e-mails are queued on it.
duties_decided = Signal()
