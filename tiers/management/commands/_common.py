from django.core.management.base import CommandError

from partnerportal.models import Tenant


def tenant_from_slug(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        known = ", ".join(Tenant.objects.order_by("slug").values_list("slug", flat=True)) or "none"
        raise CommandError(f"Unknown tenant {slug!r} (known: {known}).")
    return tenant
