"""The pure parts of ``make stack`` and ``make load``: the stack's environment, the load's host check, its
summary line, the forms it fills in, and the people the builder gives a password."""

import os
import stat
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django_scopes import scopes_disabled

from partnerportal import stack
from partnerportal.bench import data
from partnerportal.load import summary
from partnerportal.load.forms import form_posting_to, page_forms
from partnerportal.models import Membership, User
from tests.conftest import host_of

LOCUST_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
    "99.99%,100%"
)


# -- the stack's environment ------------------------------------------------------------------------


def test_the_stack_runs_production_settings_without_tls_on_the_given_database(tmp_path):
    environ = {
        "PATH": "/usr/bin",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/pp_stack",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "DJANGO_ENV": "development",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_COOKIES": "true",
        "ALLOWED_HOSTS": "portal.example",
    }
    env = stack.stack_environment(
        environ=environ, directory=tmp_path, secret_key="k" * 50, python="/venv/bin/python"
    )
    assert env["DJANGO_ENV"] == "production"
    assert env["SECURE_SSL_REDIRECT"] == "false" and env["SECURE_COOKIES"] == "false"
    assert env["DATABASE_URL"] == environ["DATABASE_URL"]
    assert env["REDIS_URL"] == environ["REDIS_URL"]
    assert env["CACHE_URL"] == "redis://127.0.0.1:6379/14"  # the next database of the same server
    assert env["ALLOWED_HOSTS"] == "portal.example"  # what the environment says wins
    assert env["SECRET_KEY"] == "k" * 50
    assert env["BIND"] == "127.0.0.1:8000" and env["PORTAL_URL"] == "http://{host}:8000"
    assert env["STATIC_ROOT"] == str(tmp_path / "static")
    assert env["PATH"].split(os.pathsep)[0] == "/venv/bin"  # gunicorn and celery of the virtualenv


def test_the_stack_defaults_to_the_local_services_and_the_demo_hosts(tmp_path):
    env = stack.stack_environment(environ={}, directory=tmp_path, secret_key="k" * 50)
    assert env["DATABASE_URL"] == stack.DEFAULT_DATABASE_URL
    assert env["REDIS_URL"] == "redis://127.0.0.1:6379/0" and env["CACHE_URL"] == "redis://127.0.0.1:6379/1"
    assert env["ALLOWED_HOSTS"] == ".localhost,127.0.0.1"
    assert "SECRET_KEY" in env and env["DEBUG"] == "false"


@pytest.mark.parametrize(
    "name, value",
    [("DATABASE_URL", "sqlite:///db.sqlite3"), ("REDIS_URL", "memory://"), ("REDIS_URL", "redis://h:6379/x")],
)
def test_the_stack_refuses_what_it_cannot_run_on_and_names_it(tmp_path, name, value):
    with pytest.raises(stack.StackError, match=name if "x" not in value else "database number"):
        stack.stack_environment(environ={name: value}, directory=tmp_path, secret_key="k" * 50)


def test_the_secret_key_is_made_once_outside_git_and_readable_by_its_owner_only(tmp_path):
    key = stack.secret_key_in(tmp_path / "state")
    assert len(key) >= 50 and stack.secret_key_in(tmp_path / "state") == key
    mode = stat.S_IMODE((tmp_path / "state" / "secret_key").stat().st_mode)
    assert mode == 0o600
    (tmp_path / "state" / "secret_key").write_text("short")
    with pytest.raises(stack.StackError, match="delete it"):
        stack.secret_key_in(tmp_path / "state")


def test_honcho_starts_the_procfile_without_letting_a_dot_env_override_the_stack():
    command = stack.honcho_command()
    assert command[1:3] == ["start", "-f"] and Path(command[3]) == stack.PROCFILE
    assert command[-2:] == ["-e", os.devnull]
    lines = stack.PROCFILE.read_text().splitlines()
    assert sum(line.startswith("beat:") for line in lines) == 1  # exactly one beat


# -- where the load goes ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8171", "http://127.0.0.1:8171/", "http://127.0.0.1"])
def test_the_load_goes_to_127_0_0_1(url):
    assert summary.assert_local(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",  # a name: a resolver could send it elsewhere
        "http://10.0.0.5:8000",
        "http://127.0.0.2:8000",
        "https://127.0.0.1:8000",
        "http://127.0.0.1.example.com:8000",
        "http://user:pw@127.0.0.1:8000",
        "http://dstny.localhost:8000",
        "",
    ],
)
def test_the_load_refuses_any_other_host(url):
    with pytest.raises(summary.NotLocal, match="127.0.0.1 only"):
        summary.assert_local(url)


# -- the figures ------------------------------------------------------------------------------------


def _stats_csv(tmp_path) -> Path:
    path = tmp_path / "locust_stats.csv"
    path.write_text(
        "\n".join(
            [
                LOCUST_HEADER,
                "GET,/,600,0,40,52.1,12,410,9000,10.0,0.0,40,50,60,70,90,120,200,260,400,410,410",
                "POST,/promos/ [price],300,2,90,95.0,30,900,3000,5.0,0.03,90,95,100,120,150,310,600,880,900,900,900",
                "GET,/unused/,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
                ",Aggregated,900,2,48,66.4,12,900,7000,15.04,0.03,48,60,70,80,110,170,330,520,900,900,900",
            ]
        )
        + "\n"
    )
    return path


def test_the_last_line_has_the_issues_format(tmp_path):
    rows = summary.stats_from_csv(_stats_csv(tmp_path))
    line = summary.load_line(summary.aggregated(rows))
    assert line == "load: 15.0 req/s, p50 48 ms, p95 170 ms, p99 520 ms, errors 2"


def test_the_endpoints_are_listed_slowest_first_with_the_total_last(tmp_path):
    table = summary.endpoint_table(summary.stats_from_csv(_stats_csv(tmp_path)))
    assert [line[:48].split()[-1] for line in table[1:]] == ["[price]", "/", "Aggregated"]  # no empty row


def test_no_aggregated_row_means_no_request_was_made(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(LOCUST_HEADER + "\n")
    with pytest.raises(ValueError, match="no request"):
        summary.aggregated(summary.stats_from_csv(path))


# -- the forms the people fill in -------------------------------------------------------------------


def test_forms_are_read_as_a_browser_submits_them():
    html = """
    <form method="post" action="/promos/#result" id="basket-form">
      <input type="hidden" name="csrfmiddlewaretoken" value="tok">
      <input type="hidden" name="form-TOTAL_FORMS" value="2">
      <select name="form-0-product"><option value="">Choose</option><optgroup label="SIP">
        <option value="SIP">Trunk</option><option value="FAX" selected>Fax</option></optgroup></select>
      <input type="number" name="form-0-quantity">
      <input type="checkbox" name="flags" value="new">
      <input type="checkbox" name="flags2" value="yes" checked>
      <textarea name="note">ignored</textarea>
      <button type="submit" name="action" value="calculate">Calculate</button>
      <button type="submit" formaction="/admin/benefits/claim/7/approve/">Approve</button>
    </form>
    <form method="get" action="/search/"><input name="q" value="x"></form>
    """
    basket, search = page_forms(html)
    assert basket.attrs["id"] == "basket-form" and basket.method == "post"
    assert basket.fields == {
        "csrfmiddlewaretoken": "tok",
        "form-TOTAL_FORMS": "2",
        "form-0-product": "FAX",
        "form-0-quantity": "",
        "flags2": "yes",
        "note": "",
    }
    assert basket.options == {"form-0-product": ["SIP", "FAX"]}
    assert [b.get("formaction") for b in basket.buttons] == [None, "/admin/benefits/claim/7/approve/"]
    assert search.method == "get" and form_posting_to(html, "/search/") == []
    assert form_posting_to(html, "/promos/") == [basket]


# -- the people who sign in -------------------------------------------------------------------------


def test_the_builder_gives_partners_and_managers_a_password_they_sign_in_with(world):
    tenant = world.a.tenant
    with scopes_disabled():
        data.bench_tenant_build(tenant=tenant, partners=3)
        partners, managers = data.bench_sign_ins(
            tenant=tenant, partners=2, managers=2, password="Load-pass-2026!"
        )
        again = data.bench_sign_ins(tenant=tenant, partners=2, managers=2, password="Load-pass-2026!")
        assert again == (partners, managers)  # a second run reuses them
        assert len(set(partners + managers)) == 4
        assert (
            EmailAddress.objects.filter(email__in=partners + managers, verified=True, primary=True).count()
            == 4
        )
        roles = dict(
            Membership.objects.filter(tenant=tenant, user__email__in=managers).values_list(
                "user__email", "role"
            )
        )
        assert roles == {email: Membership.Role.MANAGER for email in managers}
        assert all(User.objects.get(email=email).is_staff for email in managers)
        third = User.objects.get(email=f"bench-3@{data.bench_email_domain(tenant)}")
        assert not third.has_usable_password()  # only those asked for
    for email, home in ((partners[0], "/"), (managers[0], "/admin/")):
        client = Client(HTTP_HOST=host_of(tenant))
        answer = client.post("/accounts/login/", {"login": email, "password": "Load-pass-2026!"})
        assert answer.status_code == 302, email
        assert client.get(home).status_code == 200, email


def test_sign_ins_need_the_bench_partners_first(world):
    with scopes_disabled(), pytest.raises(data.BenchDataError, match="0 bench partners, 2 are needed"):
        data.bench_sign_ins(tenant=world.a.tenant, partners=2, managers=1, password="x")
