from django.dispatch import Signal

# Sent by the services inside their transaction, with ids only; the receivers (receivers.py) queue the
# e-mails after commit. The tasks call the services, so the services do not import the tasks.
# ``sender=LeadOffer, tenant_id, offer_ids``: new offers, each partner is told.
leads_offered = Signal()
# ``sender=Lead, tenant_id, lead_ids``: leads that found no partner, the tenant's managers are told.
leads_unrouted = Signal()
