"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

``make browser`` installs what they need (Chromium from apt, axe-core from tests/browser/package-lock.json)
and runs them; the default ``pytest`` run deselects them (the ``browser`` marker, pyproject's addopts).
The demo is the real one (``load_demo``), served on the live server's port at dstny.localhost, a name
Chromium resolves to 127.0.0.1 by itself. Screenshots go to ``browser-screenshots/`` at the repository's
root, or to the folder named by ``BROWSER_SCREENSHOTS``; the run prints which.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from documents.models import Document
from documents.services import document_issue, welcome_pack_issue
from obligations.models import Category, Duty, EvidenceKind
from obligations.services import duties_sync
from partnerportal.demo import DEMO_PASSWORD
from partnerportal.models import Membership, Partner, Tenant
from partnerportal.tenancy import tenant_scope
from tiers.models import Tier

from .portal import Screenshots, Visitor

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or ROOT / "browser-screenshots")
UPLOAD_DUTY = "Attestation d'assurance responsabilité civile professionnelle"


def pytest_terminal_summary(terminalreporter):
    if Screenshots.taken:
        terminalreporter.write_line(f"browser screenshots ({Screenshots.taken}): {SCREENSHOTS}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: `make browser` installs Debian's chromium package.")
    # Playwright's sync API runs an asyncio loop in this thread; Django refuses ORM calls from a thread with
    # a running loop unless told that this is on purpose (the calls are synchronous; the loop only drives
    # Chromium). Only while the browser tests run, not for the rest of a session.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # Playwright's own browser download does not work here: Debian's Chromium, without its sandbox
        # (CI machines run as root, where Chromium refuses to start sandboxed).
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): `make browser` runs `npm ci --prefix tests/browser`.")
    return AXE.read_text()


@pytest.fixture(scope="session")
def screenshots() -> Screenshots:
    """The screenshot folder, emptied of the previous run's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return Screenshots(SCREENSHOTS)


@dataclass
class Demo:
    url: str  # the Dstny portal on the live server
    tenant: Tenant
    partner: Partner  # Armor Télécom, the account partner@dstny.demo
    premium: Partner  # Atlantique Connect, premium@dstny.demo, at a tier that awards a diploma
    diploma: Document
    upload_duty: Duty


@pytest.fixture
def demo(live_server) -> Demo:
    """The real demo (``load_demo``, its PDFs off as in the rest of the suite) plus what a browser test
    needs and the demo leaves done: a duty whose proof is a document still to send, Armor Télécom's
    welcome pack and Atlantique Connect's diploma, issued by the documents' own services."""
    call_command("load_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="dstny")
    with tenant_scope(tenant):
        partner = Membership.objects.get(user__email="partner@dstny.demo").partner
        premium = Membership.objects.get(user__email="premium@dstny.demo").partner
        duty = Duty.objects.create(
            tenant=tenant,
            code="browser-insurance",
            title=UPLOAD_DUTY,
            category=Category.DOCUMENT,
            evidence=EvidenceKind.DOCUMENT,
            due_days=30,
        )
        duty.tiers.set(Tier.objects.filter(tenant=tenant))
        duties_sync(tenant=tenant, duty_ids=[duty.pk])
        welcome_pack_issue(partner=partner, notify=False)
        diploma = document_issue(partner=premium, kind=Document.Kind.DIPLOMA, notify=False)
    host = tenant.domains.get(is_primary=True).host
    return Demo(
        url=f"http://{host}:{live_server.thread.port}",
        tenant=tenant,
        partner=partner,
        premium=premium,
        diploma=diploma,
        upload_duty=duty,
    )


@pytest.fixture
def visit(browser, axe_source, screenshots, demo):
    """``visit(email, phone=False, javascript=True)``: a new browser context on the demo portal, signed in
    as ``email`` (anonymous for None); ``phone`` checks and photographs its pages at 390 px too;
    ``javascript=False`` is a browser without JavaScript."""
    visitors = []

    def sign_in(email: str | None, *, phone: bool = False, javascript: bool = True) -> Visitor:
        who = email.split("@")[0] if email else "anonymous"
        visitor = Visitor(
            browser=browser,
            base_url=demo.url,
            who=who if javascript else f"{who}-no-js",
            axe_source=axe_source,
            screenshots=screenshots,
            phone=phone,
            javascript=javascript,
        )
        visitors.append(visitor)
        if email:
            visitor.sign_in(email, DEMO_PASSWORD)
        return visitor

    yield sign_in
    for visitor in visitors:
        visitor.close()
