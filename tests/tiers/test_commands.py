"""The ``regrade`` and ``import_revenue`` management commands (tiers/management/commands/)."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from partnerportal.models import Tenant
from tests.partnerportal.factories import TenantFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JULY_2026, assessment_of, evaluation_of, snapshot, tier_of
from tiers.models import Evaluation, RevenueEntry

REPORT_COLUMNS = ["partner_ref", "partner", "type", "basis", "previous_tier", "new_tier", "movement"]
SUMMARY = re.compile(
    r"^partners (?P<partners>\d+), up (?P<up>\d+), down (?P<down>\d+), same (?P<same>\d+), "
    r"pinned (?P<pinned>\d+), seconds \d+\.\d\d$",
    re.MULTILINE,
)


def regrade(*args: str) -> str:
    out = io.StringIO()
    call_command("regrade", *args, stdout=out)
    return out.getvalue()


def in_english(tenant) -> None:
    """The commands word their refusals and error lines in the tenant's language (French for dstny);
    these tests read the English ones (tests/tiers/test_error_language.py reads the French)."""
    Tenant.objects.filter(pk=tenant.pk).update(default_language="en")


def summary_of(output: str) -> dict[str, int]:
    match = SUMMARY.search(output)
    assert match, f"no summary line in {output!r}"
    return {key: int(value) for key, value in match.groupdict().items()}


@pytest.fixture
def three_partners(dstny):
    """An Ambassadeur going up to Access, an Opérateur up to Business, and one with no revenue."""
    access, business, none = dstny.partner(), dstny.partner("operator"), dstny.partner()
    add_revenue(access, "600")
    add_revenue(business, "2500")
    return access, business, none


# --- regrade ---------------------------------------------------------------------------------------


def test_regrade_applies_the_evaluation_and_prints_a_summary(dstny, three_partners):
    access, business, none = three_partners

    output = regrade("--tenant", "dstny", "--as-of", "2026-07-01")

    assert "dstny evaluation 2026-07-01 over 2026-01..2026-06" in output
    assert summary_of(output) == {"partners": 3, "up": 2, "down": 0, "same": 1, "pinned": 0}
    assert evaluation_of(dstny.tenant).status == Evaluation.Status.FINISHED
    assert [tier_of(p).code for p in three_partners] == ["access", "business", "starter"]


def test_regrade_defaults_to_the_latest_due_evaluation(dstny, three_partners, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False)

    output = regrade("--tenant", "dstny")

    assert "evaluation 2026-07-01" in output
    assert assessment_of(three_partners[0], JULY_2026).applied_tier == dstny.tiers["access"]


def test_regrade_dry_run_writes_nothing(dstny, three_partners):
    before = snapshot(dstny.tenant)

    output = regrade("--tenant", "dstny", "--as-of", "2026-07-01", "--dry-run")

    assert "(dry run: nothing written)" in output
    assert summary_of(output) == {"partners": 3, "up": 2, "down": 0, "same": 1, "pinned": 0}
    assert snapshot(dstny.tenant) == before
    with scopes_disabled():
        assert not Evaluation.objects.exists()


@pytest.mark.parametrize("dry_run", [False, True])
def test_regrade_report_has_one_row_per_partner_with_the_documented_columns(
    dstny, three_partners, tmp_path, dry_run
):
    access, business, none = three_partners
    report = tmp_path / "report.csv"

    output = regrade(
        "--tenant", "dstny", "--as-of", "2026-07-01", "--report", str(report), *(["--dry-run"] * dry_run)
    )

    with report.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == REPORT_COLUMNS
    assert sorted(rows[1:]) == sorted(
        [
            [access.external_ref, access.legal_name, "Ambassadeur", "600.00", "", "Access", "up"],
            [business.external_ref, business.legal_name, "Opérateur", "2500.00", "", "Business", "up"],
            [none.external_ref, none.legal_name, "Ambassadeur", "0.00", "", "Starter", "same"],
        ]
    )
    assert f"report: {report}" in output


def test_regrade_twice_says_the_evaluation_is_already_done(dstny, three_partners, tmp_path):
    regrade("--tenant", "dstny", "--as-of", "2026-07-01")
    before = snapshot(dstny.tenant)
    report = tmp_path / "again.csv"

    output = regrade("--tenant", "dstny", "--as-of", "2026-07-01", "--report", str(report))

    assert "(already done: nothing new written)" in output
    assert summary_of(output) == {"partners": 3, "up": 2, "down": 0, "same": 1, "pinned": 0}
    assert snapshot(dstny.tenant) == before
    assert len(report.read_text(encoding="utf-8").splitlines()) == 4  # the report of the finished run


@pytest.mark.parametrize("day", ["2026-03-01", "2026-07-02", "2026-12-31"])
def test_regrade_refuses_a_date_that_is_not_an_evaluation_date(dstny, three_partners, day):
    in_english(dstny.tenant)

    with pytest.raises(CommandError, match=rf"{day} is not an evaluation date of dstny: .*months 1, 7"):
        regrade("--tenant", "dstny", "--as-of", day)

    with scopes_disabled():
        assert not Evaluation.objects.exists()


def test_regrade_refuses_a_date_it_cannot_read(dstny):
    with pytest.raises(CommandError, match="--as-of"):
        regrade("--tenant", "dstny", "--as-of", "01/07/2026")


@pytest.mark.parametrize("size", ["0", "-5"])
def test_regrade_refuses_a_chunk_size_below_one(dstny, three_partners, size):
    """A chunk of 0 partners would grade nobody and still finish the evaluation, which no later run
    could then apply (a finished evaluation is never run again)."""
    with pytest.raises(CommandError, match="chunk"):
        regrade("--tenant", "dstny", "--as-of", "2026-07-01", "--chunk-size", size)

    with scopes_disabled():
        assert not Evaluation.objects.filter(status=Evaluation.Status.FINISHED).exists()


def test_regrade_refuses_an_unknown_tenant(dstny):
    with pytest.raises(CommandError, match=r"Unknown tenant 'nope' \(known: dstny\)"):
        regrade("--tenant", "nope", "--as-of", "2026-07-01")


def test_regrade_refuses_a_programme_without_tiers(db):
    TenantFactory(slug="empty", default_language="en")

    with pytest.raises(CommandError, match="empty has no tiers"):
        regrade("--tenant", "empty", "--as-of", "2026-07-01")


# --- import_revenue --------------------------------------------------------------------------------


def test_import_revenue_imports_a_file(dstny, tmp_path):
    partner = dstny.partner(external_ref="DST-001")
    path = tmp_path / "revenue.csv"
    path.write_text(
        "partner_ref;month;category;amount\nDST-001;2026-01;recurring;1 234,50\n", encoding="utf-8"
    )
    out = io.StringIO()

    call_command("import_revenue", "--tenant", "dstny", str(path), stdout=out)

    assert f"{path}: imported 1 line(s) for dstny." in out.getvalue()
    with scopes_disabled():
        assert list(RevenueEntry.objects.values_list("partner_id", "month", "category", "amount")) == [
            (partner.pk, dt.date(2026, 1, 1), "recurring", Decimal("1234.50"))
        ]


def test_import_revenue_rejects_a_bad_file_and_names_each_line(dstny, tmp_path, capsys):
    dstny.partner(external_ref="DST-001")
    path = tmp_path / "revenue.csv"
    path.write_text(
        "partner_ref;month;category;amount\nDST-001;2026-01;recurring;100\nNOPE;2026-01;recurring;100\n"
        "DST-001;2026-02;recurring;abc\n",
        encoding="utf-8",
    )
    in_english(dstny.tenant)

    with pytest.raises(CommandError, match="rejected, nothing imported: 2 error"):
        call_command("import_revenue", "--tenant", "dstny", str(path))

    err = capsys.readouterr().err
    assert "line 3: unknown partner 'NOPE'" in err
    assert "line 4: amount 'abc' is not a number" in err
    with scopes_disabled():
        assert not RevenueEntry.objects.exists()


def test_import_revenue_refuses_a_missing_file_and_an_unknown_tenant(dstny, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_revenue", "--tenant", "dstny", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="Unknown tenant 'nope'"):
        call_command("import_revenue", "--tenant", "nope", str(tmp_path / "missing.csv"))
