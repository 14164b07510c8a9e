"""The benefits app's scenario of ``make drill`` (partnerportal/drill): Redis stopped while a partner
browses and claims a benefit."""

import time
from pathlib import Path

from django_scopes import scopes_disabled

from benefits.models import Claim
from benefits.selectors import entitlement_overview
from partnerportal.drill.infra import WEB_PORT
from partnerportal.drill.run import Drill, ScenarioFailed, check, wait_until
from partnerportal.drill.scenarios import register
from partnerportal.models import Membership, Partner, Tenant
from partnerportal.tenancy import tenant_scope


@register(order=30)
def redis_down_while_browsing(drill: Drill) -> tuple[str, int]:
    tenant = Tenant.objects.get(slug="dstny")
    host = f"{tenant.primary_host}:{WEB_PORT}"
    with tenant_scope(tenant):
        candidates = Partner.objects.filter(tenant=tenant, status=Partner.Status.ACTIVE).exclude(
            external_ref__startswith="BENCH-"
        )
        for partner in candidates.order_by("pk"):
            overview = entitlement_overview(partner=partner, day=tenant.today())
            free = [
                e.benefit
                for e in overview.entitlements
                if e.claimable and e.remaining and not e.expired and not e.benefit.requires_approval
            ]
            admin = (
                Membership.objects.filter(partner=partner, role=Membership.Role.ADMIN, user__is_active=True)
                .select_related("user")
                .first()
            )
            if free and admin:
                break
        else:
            raise ScenarioFailed("no demo partner has a benefit to claim without approval")
    benefit, user = free[0], admin.user
    headers = drill.session(user, tenant)
    pages = ["/", "/benefits/", "/documents/"]

    def browse() -> list[tuple[str, int]]:
        return [(page, drill.request("GET", page, host=host, headers=headers)[0]) for page in pages]

    drill.settle()
    up = browse()
    check(all(status == 200 for _, status in up), f"with Redis up: {up}")
    mail_before = drill.mail_files()
    outbox = Path(drill.infra.env["PRIVATE_MEDIA_ROOT"]) / "task-outbox"
    drill.infra.stop_redis()
    try:
        started = time.monotonic()
        down = browse()
        seconds = time.monotonic() - started
        check(all(status == 200 for _, status in down), f"with Redis down the pages answered {down}")
        status, _, _ = drill.request(
            "POST", f"/benefits/{benefit.pk}/claim/", host=host, headers=headers, body={"note": "drill"}
        )
        check(status in (200, 302), f"the claim answered {status} with Redis down")
        with scopes_disabled():
            claim = Claim.objects.filter(partner=partner, benefit=benefit, note="drill").first()
        check(claim is not None and claim.state == Claim.State.APPROVED, "the claim was not recorded")
        waiting = len(list(outbox.glob("*.json*")))  # .sending while its thread tries
        check(waiting >= 1, "the claim's e-mail task is neither queued nor in the outbox")
        time.sleep(3)
    finally:
        drill.infra.start_redis()

    def notified():
        with scopes_disabled():
            return Claim.objects.filter(pk=claim.pk, notified_state=Claim.State.APPROVED).exists()

    try:
        wait_until(notified, timeout=90, what="the claim's e-mail after Redis came back")
        drill.settle()
        lost = 0
    except ScenarioFailed:
        lost = 1
    new = drill.messages(drill.mail_files() - mail_before)
    to_user = [m for m in new if user.email in (m["To"] or "")]
    check(lost or to_user, f"the claim is marked notified but no e-mail reached {user.email}")
    check(drill.duplicates(new) == 0, "an e-mail was sent twice")
    check(not list(outbox.glob("*.json*")), "messages left in the outbox")
    return (
        f"Redis stopped while a partner browsed: {len(pages)} pages answered 200 ({seconds:.1f} s), the claim "
        f"was recorded and its e-mail task kept in the outbox ({waiting}), published when Redis came back and "
        f"e-mailed once ({len(to_user)} to the claimer)",
        lost,
    )
