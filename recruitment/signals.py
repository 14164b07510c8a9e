from django.dispatch import Signal

# Sent by the services with ids only (``sender=Application, tenant_id, application_id``); the e-mail tasks are
# queued on them, after commit (receivers.py), so the services do not import the tasks.
application_submitted = Signal()  # the tenant's managers are told
application_refused = Signal()  # the applicant is told, with the reason
