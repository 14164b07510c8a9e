"""``make load``'s people: partners browsing, claiming and quoting, managers reviewing and approving.

Each simulated person signs in through the login form as a person of their own (LOAD_ACCOUNTS, a JSON file
the driver writes: the tenant's host, the password, the partners' and managers' e-mails), from an address of
their own (X-Forwarded-For; the stack trusts one proxy, so allauth's per-IP limits count people, not the
load generator), waits 1 to 3 s between pages as people do, and loads a page's stylesheets, scripts and
images the first time it meets them, as a browser with a cache does. Only 127.0.0.1 is ever addressed;
the tenant is chosen by the Host header.

The figures are those of the window that opens once everyone has signed in (``_arrive``): the sign-ins
(PBKDF2 by design, about 0.4 s of CPU each) and the first fetch of the assets come before it, are reported
apart by the driver, and their errors still count. Multi-step tasks pause between steps as people do.

An answer counts as an error when its status is not the one the page gives a signed-in person (a sign-in
redirect on a page, a 500, a 404 on an asset), or when a form the scenario posts is refused.
"""

import json
import os
import random
import re
import time
from collections import deque
from itertools import count

import gevent
from locust import HttpUser, between, events, task

from partnerportal.load.forms import Form, form_posting_to, page_forms
from partnerportal.load.summary import assert_local

ACCOUNTS = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read()) if os.environ.get("LOAD_ACCOUNTS") else {}
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="(/[^"#?]*)(?:[?#][^"]*)?"', re.I)
NUMBERS = re.compile(r"/\d+/")
DOWNLOAD = re.compile(r'href="(/documents/\d+/download/)"')
_people = count()


SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
PEOPLE = len(ACCOUNTS.get("partners", [])) + len(ACCOUNTS.get("managers", []))
SIGN_IN = "/accounts/login/ [sign in]"
_arrived = count(1)


@events.test_start.add_listener
def _only_local(environment, **kwargs):
    assert_local(environment.host or "")


def _arrive(environment) -> None:
    """Once every person has signed in (or failed to), the measured window opens: the figures so far (the
    sign-ins, a browser's first fetch of the assets) go to LOAD_WARM_UP and are cleared, and the run ends
    SECONDS later."""
    if next(_arrived) != PEOPLE:
        return
    sign_in = environment.stats.get(SIGN_IN, "POST")
    warm_up = {
        "sign_ins": sign_in.num_requests,
        "sign_in_p50": sign_in.get_response_time_percentile(0.5),
        "sign_in_p95": sign_in.get_response_time_percentile(0.95),
        "requests": environment.stats.total.num_requests,
        "errors": environment.stats.total.num_failures,
        "window_opened": time.time(),
    }
    if os.environ.get("LOAD_WARM_UP"):
        with open(os.environ["LOAD_WARM_UP"], "w") as file:
            json.dump(warm_up, file)
    environment.stats.reset_all()
    gevent.spawn_later(SECONDS, environment.runner.quit)


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    accounts: deque[str] = deque()

    def on_start(self):
        assert_local(self.host)
        number = next(_people)
        self.email = self.accounts.popleft()
        self.tenant_host = ACCOUNTS["host"]
        self.origin = f"http://{self.tenant_host}"
        self.client.headers.update(
            {"Host": self.tenant_host, "X-Forwarded-For": f"10.77.{number // 250}.{number % 250 + 1}"}
        )
        self.seen_assets: set[str] = set()
        try:
            self.sign_in()
        finally:
            _arrive(self.environment)

    # -- requests -------------------------------------------------------------------------------------

    def get(self, path: str, *, name: str | None = None, expect: int = 200, headers=None):
        """GET ``path``; None (and an error counted) unless it answers ``expect``."""
        with self.client.get(
            path, name=name or path, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(
                    f"{response.status_code} instead of {expect} ({response.headers.get('Location', '')})"
                )
                return None
            if expect == 200 and "text/html" in response.headers.get("Content-Type", ""):
                self.assets(response.text)
            return response

    def post(self, path: str, data: dict, *, name: str, expect: int = 302, headers=None):
        headers = {"Origin": self.origin, "Referer": f"{self.origin}{path}", **(headers or {})}
        with self.client.post(
            path, data=data, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} instead of {expect}")
                return None
            return response

    def follow(self, response, *, name: str):
        """The page a form's redirect leads to, as the browser loads it next."""
        location = response.headers.get("Location", "")
        if "/accounts/login/" in location or not location.startswith("/"):
            response.failure(f"redirected to {location!r}")
            return None
        return self.get(location, name=name)

    def assets(self, html: str) -> None:
        for path in ASSET.findall(html):
            if path not in self.seen_assets:
                self.seen_assets.add(path)
                name = "/static/[asset]" if path.startswith("/static/") else path
                self.get(path, name=name)

    def sign_in(self) -> None:
        page = self.get("/accounts/login/")
        if page is None:
            raise RuntimeError("no login page")  # locust counts the error and stops this person
        form = next(iter(form_posting_to(page.text, "/accounts/login/")), None) or Form(
            "/accounts/login/", "post", {}
        )
        data = form.data(login=self.email, password=ACCOUNTS["password"])
        answer = self.post(form.action or "/accounts/login/", data, name=SIGN_IN)
        for _ in range(3):  # "/" sends a manager on to the back-office
            location = answer.headers.get("Location", "") if answer is not None else ""
            if not location.startswith("/") or "/accounts/login/" in location:
                raise RuntimeError(f"{self.email} could not sign in (sent to {location!r})")
            with self.client.get(
                location, name=location, allow_redirects=False, catch_response=True
            ) as answer:
                if answer.status_code not in (200, 302):
                    answer.failure(f"{answer.status_code} after signing in")
                    return
            if answer.status_code == 200:
                self.assets(answer.text)
                return


class PartnerPerson(Person):
    """A partner's administrator on the portal: reads, claims a benefit or cancels a pending claim, prices
    baskets and sometimes saves one."""

    fixed_count = len(ACCOUNTS.get("partners", []))
    accounts = deque(ACCOUNTS.get("partners", []))

    @task(4)
    def home(self):
        self.get("/")

    @task(2)
    def status(self):
        self.get("/status/")

    @task(3)
    def benefits(self):
        self.get("/benefits/")

    @task(2)
    def duties(self):
        self.get("/duties/")

    @task(1)
    def promotions(self):
        self.get("/promos/")

    @task(1)
    def quotes(self):
        self.get("/promos/quotes/")

    @task(2)
    def documents(self):
        self.get("/documents/")

    @task(1)
    def document(self):
        """Open the documents and download one (a diploma, a welcome pack), as a partner does now and then."""
        page = self.get("/documents/")
        links = DOWNLOAD.findall(page.text) if page is not None else []
        if links:
            self.wait()
            self.get(random.choice(links), name="/documents/[id]/download/")

    @task(1)
    def team(self):
        self.get("/team/")

    @task(2)
    def claim(self):
        """Claim one of the benefits the page offers; with none left, cancel a pending claim instead."""
        page = self.get("/benefits/")
        if page is None:
            return
        self.wait()  # reads the page before choosing
        claims = form_posting_to(page.text, "/benefits/")
        offers = [form for form in claims if form.action.endswith("/claim/")]
        cancels = [form for form in claims if form.action.endswith("/cancel/")]
        if offers:
            form = random.choice(offers)
            answer = self.post(
                form.action, form.data(note="Pour un client (charge simulée)"), name="/benefits/[id]/claim/"
            )
        elif cancels:
            form = random.choice(cancels)
            answer = self.post(form.action, form.data(), name="/benefits/claims/[id]/cancel/")
        else:
            return
        if answer is not None:
            self.follow(answer, name="/benefits/ [after the form]")

    @task(2)
    def quote(self):
        """Fill two or three rows of the calculator; htmx prices it as it changes, as the browser does."""
        page = self.get("/promos/")
        if page is None:
            return
        form = next((f for f in page_forms(page.text) if f.attrs.get("id") == "basket-form"), None)
        if form is None:
            return
        rows = sorted(name for name in form.options if name.endswith("-product") and form.options[name])
        data = form.data()
        for name in rows[: random.randint(2, 3)]:
            self.wait()  # chooses a product and a quantity
            data[name] = random.choice(form.options[name])
            data[name.replace("-product", "-quantity")] = str(random.randint(1, 20))
            self.post(
                form.action.split("#")[0] or "/promos/",
                {**data, "action": "calculate"},
                name="/promos/ [price, htmx]",
                expect=200,
                headers={"HX-Request": "true"},
            )
        if random.random() < 0.25:
            self.wait()
            answer = self.post("/promos/", {**data, "action": "save"}, name="/promos/ [save the quote]")
            if answer is not None:
                self.follow(answer, name=NUMBERS.sub("/[id]/", answer.headers.get("Location", "")))


class ManagerPerson(Person):
    """The tenant's channel manager in the back-office: the dashboard, the queues, partners, a decision."""

    fixed_count = len(ACCOUNTS.get("managers", []))
    accounts = deque(ACCOUNTS.get("managers", []))

    @task(3)
    def dashboard(self):
        self.get("/admin/")

    @task(3)
    def claims_to_review(self):
        self.get("/admin/benefits/claim/?state=pending", name="/admin/benefits/claim/?state=pending")

    @task(2)
    def duties_to_review(self):
        self.get("/admin/obligations/dutyfulfilment/")

    @task(1)
    def partners(self):
        self.get("/admin/partnerportal/partner/")

    @task(1)
    def partner_search(self):
        self.get(
            f"/admin/partnerportal/partner/?q=BENCH-{random.randint(1, 49_000)}",
            name="/admin/partnerportal/partner/?q=[ref]",
        )

    @task(2)
    def approve(self):
        """Approve a pending claim from the queue's row button; without one, approve submitted evidence."""
        for queue, kind in (
            ("/admin/benefits/claim/?state=pending", "benefits/claim"),
            ("/admin/obligations/dutyfulfilment/", "obligations/dutyfulfilment"),
        ):
            page = self.get(queue, name=queue)
            if page is None:
                return
            for form in page_forms(page.text):
                buttons = [
                    b["formaction"]
                    for b in form.buttons
                    if b.get("formaction", "").startswith(f"/admin/{kind}/")
                    and b["formaction"].endswith("/approve/")
                ]
                if buttons:
                    self.wait()  # reads the claim or the evidence before deciding
                    answer = self.post(
                        random.choice(buttons),
                        {"csrfmiddlewaretoken": form.fields.get("csrfmiddlewaretoken", "")},
                        name=f"/admin/{kind}/[id]/approve/",
                    )
                    if answer is not None:
                        self.follow(answer, name=f"/admin/{kind}/ [after the decision]")
                    return
