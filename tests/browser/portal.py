"""A signed-in person in Chromium that checks every page it opens.

``Visitor`` wraps one browser context (its own cookies) and its page. From the moment it opens, it records
what would show as a problem to a person or in the browser's console: console errors (CSP violations are
reported there too), uncaught script errors, requests that failed and responses of status 400 or more.
``check(name)`` asserts that none happened, runs axe-core on the page (no serious or critical violation)
and saves a screenshot, at desktop width and, for the partner pages, at a phone's 390 px.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import urljoin

from django.utils.text import slugify
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")

# axe-core's own source, run with page.evaluate: Playwright evaluates it through the DevTools protocol,
# outside the page's Content-Security-Policy (which forbids the inline <script> that add_script_tag makes).
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\\s+/g, " ")),
  }));
}"""


@dataclass
class Screenshots:
    folder: Path
    count: int = 0
    taken: ClassVar[int] = 0  # in this session, for the run's summary line

    def path(self, who: str, name: str, width: str) -> Path:
        self.count += 1
        Screenshots.taken += 1
        slug = slugify(name.replace("/", " ").replace(":", " "))
        return self.folder / f"{self.count:03d}-{who}-{slug}-{width}.png"


@dataclass
class Visitor:
    """One person's browser tab on ``base_url`` (the tenant's host on the live server)."""

    browser: Browser
    base_url: str
    who: str
    axe_source: str
    screenshots: Screenshots
    phone: bool = False  # partner pages are also checked at 390 px
    javascript: bool = True  # False: the portal as a browser without JavaScript sees it (no axe either)
    problems: list[str] = field(default_factory=list)
    downloads: set[str] = field(default_factory=set)

    def __post_init__(self):
        self.context = self.browser.new_context(
            base_url=self.base_url,
            viewport=DESKTOP,
            accept_downloads=True,
            java_script_enabled=self.javascript,
        )
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _request_failed(self, request: Request) -> None:
        # Chromium aborts the navigation that turns into a download: that one is expected, nothing else.
        if request.url in self.downloads and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    # --- navigation -----------------------------------------------------------------------------------

    def open(self, path: str, name: str | None = None) -> Page:
        """Go to ``path`` and check the page (see ``check``)."""
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        self.check(name or path)
        return self.page

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto("/accounts/login/")
        self.check("sign-in")
        self.page.locator("input[name=login]").fill(email)
        self.page.locator("input[name=password]").fill(password)
        with self.page.expect_navigation():
            self.page.locator("main button[type=submit]").click()
        assert "/accounts/login/" not in self.page.url, f"{email} could not sign in"

    def download(self, link) -> tuple[str, bytes]:
        """Click ``link`` (a locator) and return the downloaded file's suggested name and its bytes."""
        self.downloads.add(urljoin(self.page.url, link.get_attribute("href")))
        with self.page.expect_download() as info:
            link.click()
        download = info.value
        assert download.failure() is None, download.failure()
        return download.suggested_filename, Path(download.path()).read_bytes()

    # --- checks ---------------------------------------------------------------------------------------

    def assert_no_problems(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)

    def axe(self, name: str) -> None:
        if not self.javascript:
            return  # axe runs in the page: the JavaScript runs of the same pages check them
        self.page.evaluate(self.axe_source)
        violations = [v for v in self.page.evaluate(AXE_RUN) if v["impact"] in BLOCKING_IMPACTS]
        assert not violations, f"axe-core on {name} ({self.page.url}):\n" + json.dumps(
            violations, indent=2, ensure_ascii=False
        )

    def check(self, name: str) -> None:
        """No console error or failed request so far, no serious axe violation; screenshots saved."""
        self.page.wait_for_load_state("load")
        self.assert_no_problems()
        self.axe(name)
        self.page.screenshot(path=self.screenshots.path(self.who, name, "desktop"), full_page=True)
        if self.phone:
            self.page.set_viewport_size(PHONE)
            try:
                self.axe(f"{name} at {PHONE['width']} px")
                self.page.screenshot(path=self.screenshots.path(self.who, name, "phone"), full_page=True)
            finally:
                self.page.set_viewport_size(DESKTOP)
        self.assert_no_problems()

    def close(self) -> None:
        self.context.close()
