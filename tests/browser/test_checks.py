"""The checks every page goes through (tests/browser/portal.py) fail when they should: a script the
Content-Security-Policy blocks, a request that fails, an axe-core violation. Without this, a listener
wired wrong would let every journey pass."""

import pytest

from tests.partnerportal.factories import TenantFactory

from .portal import Visitor

pytestmark = pytest.mark.browser


@pytest.fixture
def visitor(live_server, browser, axe_source, screenshots):
    TenantFactory(slug="checks")
    visitor = Visitor(
        browser=browser,
        base_url=f"http://checks.localhost:{live_server.thread.port}",
        who="checks",
        axe_source=axe_source,
        screenshots=screenshots,
    )
    visitor.page.goto("/accounts/login/")
    visitor.assert_no_problems()
    yield visitor
    visitor.close()


def test_an_inline_script_blocked_by_the_csp_is_a_console_error(visitor):
    with visitor.page.expect_console_message(lambda message: message.type == "error"):
        # As a template's inline <script> would: the page adds it, Chromium refuses to run it.
        visitor.page.evaluate(
            """() => { const s = document.createElement("script"); s.textContent = "document.title = 'inline'";
                       document.head.append(s); }"""
        )
    assert visitor.page.title() != "inline"
    with pytest.raises(AssertionError, match="Content Security Policy"):
        visitor.assert_no_problems()


def test_a_missing_file_is_a_failed_request(visitor):
    with visitor.page.expect_response(lambda response: response.url.endswith("/missing.png")):
        visitor.page.evaluate(
            """() => { const img = new Image(); img.src = "/static/img/missing.png"; document.body.append(img); }"""
        )
    with pytest.raises(AssertionError, match="HTTP 404: GET .*/static/img/missing.png"):
        visitor.assert_no_problems()


def test_text_without_contrast_is_an_axe_violation(visitor):
    visitor.page.evaluate(
        """() => { const p = document.createElement("p"); p.textContent = "Pale";
                   p.style.color = "#d0d0d0"; p.style.background = "#ffffff"; document.querySelector("main").append(p); }"""
    )
    with pytest.raises(AssertionError, match="color-contrast"):
        visitor.axe("planted")
