"""The documents app's scenario of ``make drill`` (partnerportal/drill): the documents storage failing
under a PDF task, a fault planted through documents/drill_storage.py."""

import time
from pathlib import Path

from django_scopes import scopes_disabled

from documents import services
from documents.models import Document
from documents.tasks import document_issue
from partnerportal.drill.infra import WEB_PORT
from partnerportal.drill.run import WAIT, Drill, check
from partnerportal.drill.scenarios import register
from partnerportal.models import Membership, Partner, Tenant
from partnerportal.tenancy import tenant_scope
from tiers.models import PartnerTier


def _planted_fault(infra) -> dict[str, str]:
    """The web and worker processes write documents through the flaky storage, failing while the fault file
    (``infra.fault``) says so: off until the scenario writes it."""
    return {
        "DOCUMENTS_STORAGE_BACKEND": "documents.drill_storage.FlakyDocumentStorage",
        "DRILL_STORAGE_FAULT": str(infra.fault),
    }


@register(order=40, environ=_planted_fault)
def pdf_task_failing(drill: Drill) -> tuple[str, int]:
    tenant = Tenant.objects.get(slug="dstny")
    host = f"{tenant.primary_host}:{WEB_PORT}"
    with tenant_scope(tenant):
        row = (
            PartnerTier.objects.filter(
                tenant=tenant,
                tier__awards_diploma=True,
                partner__status=Partner.Status.ACTIVE,
                partner__memberships__role=Membership.Role.ADMIN,
            )
            .exclude(partner__external_ref__startswith="BENCH-")
            .select_related("partner", "partner__tenant")
            .first()
        )
        check(row is not None, "no demo partner holds a tier that awards a diploma")
        partner = row.partner
        admin = Membership.objects.filter(partner=partner, role=Membership.Role.ADMIN).select_related("user")[
            0
        ]
        previous = services.document_issue(partner=partner, kind=Document.Kind.DIPLOMA, notify=False)
    headers = drill.session(admin.user, tenant)
    download = f"/documents/{previous.pk}/download/"
    status, kind, body = drill.request("GET", download, host=host, headers=headers)
    check(
        status == 200 and body.startswith(b"%PDF"),
        f"the diploma did not download before the fault ({status})",
    )

    failures = 3
    attempts = Path(f"{drill.infra.fault}.attempts")
    attempts.unlink(missing_ok=True)
    drill.infra.fault.write_text(str(failures))
    document_issue.delay(tenant.pk, partner.pk, Document.Kind.DIPLOMA)

    def tries() -> list[float]:
        return [float(line) for line in attempts.read_text().split()] if attempts.exists() else []

    kept = 0
    with scopes_disabled():
        newer = Document.objects.filter(partner=partner, kind=Document.Kind.DIPLOMA, pk__gt=previous.pk)
        deadline = time.monotonic() + WAIT
        while not newer.exists():
            check(time.monotonic() < deadline, f"no new diploma after {WAIT} s ({len(tries())} attempts)")
            if tries():  # failing: the previous diploma stays valid and downloadable meanwhile
                status, _, body = drill.request("GET", download, host=host, headers=headers)
                valid = Document.objects.filter(pk=previous.pk, revoked_at__isnull=True).exists()
                if not newer.exists():
                    check(
                        status == 200 and body.startswith(b"%PDF") and valid, "the previous diploma went away"
                    )
                    kept += 1
            time.sleep(0.3)
        current = newer.get()
        previous.refresh_from_db()
    drill.settle()
    times = tries()
    check(len(times) == failures + 1, f"{len(times)} attempts for {failures} failures")
    check(previous.revocation == Document.Revocation.REPLACED, "the previous diploma was not replaced")
    status, _, body = drill.request("GET", f"/documents/{current.pk}/download/", host=host, headers=headers)
    check(status == 200 and body.startswith(b"%PDF"), f"the new diploma does not download ({status})")
    gaps = ", ".join(f"{b - a:.1f}" for a, b in zip(times, times[1:], strict=False))
    return (
        f"PDF task failing ({failures} storage errors): retried with back-off (gaps {gaps} s), the previous "
        f"diploma downloadable {kept} times meanwhile, replaced once the new one was kept",
        0,
    )
