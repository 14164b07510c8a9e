"""Import and regrade errors in the reader's language (issue 10): the back-office in the manager's, the
commands in the tenant's; the import record keeps codes and parameters plus the English text for scripts,
and records written before that (English text only) still show.

The French expectations come from the root catalogue (locale/fr): dstny and tenant A speak French.
"""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from partnerportal.models import Tenant
from tests.partnerportal.factories import TenantFactory
from tests.tiers.helpers import evaluate
from tiers.grading import RegradeError
from tiers.imports import LineError, import_error_text
from tiers.models import RevenueImport

IMPORT = reverse("admin:tiers_revenueentry_import")
BAD_FILE = "partner_ref;month;category;amount\nNOPE;2026-13;gift;-3\n"


def upload(client):
    file = SimpleUploadedFile("revenue.csv", BAD_FILE.encode("utf-8"), content_type="text/csv")
    return client.post(IMPORT, {"file": file})


def record_page(client, record) -> str:
    response = client.get(reverse("admin:tiers_revenueimport_change", args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def manager(world, programmes, client_for):
    """A's manager; French unless the test sets their preferred language."""

    def make(language: str = ""):
        world.a.manager.preferred_language = language
        world.a.manager.save(update_fields=["preferred_language"])
        return client_for(world.a.tenant, world.a.manager)

    return make


# --- the import page and the import record --------------------------------------------------------------


def test_the_same_rejected_import_reads_in_french_and_in_english(manager):
    french = upload(manager()).content.decode()
    english = upload(manager("en")).content.decode()

    assert "<tr><td>2</td><td>partenaire inconnu &#x27;NOPE&#x27;</td></tr>" in french
    assert "<tr><td>2</td><td>mois invalide &#x27;2026-13&#x27; (attendu : AAAA-MM)</td></tr>" in french
    assert "catégorie inconnue &#x27;gift&#x27; (attendu : recurring" in french
    assert "<tr><td>2</td><td>le montant -3 est négatif</td></tr>" in french
    assert "unknown partner" not in french
    assert "<tr><td>2</td><td>unknown partner &#x27;NOPE&#x27;</td></tr>" in english
    assert "<tr><td>2</td><td>amount -3 is negative</td></tr>" in english
    assert "partenaire inconnu" not in english


def test_the_record_keeps_codes_and_english_and_shows_in_the_readers_language(manager):
    upload(manager())
    with scopes_disabled():
        record = RevenueImport.objects.get()

    assert record.errors[0] == {
        "line": 2,
        "code": "unknown_partner",
        "params": {"ref": "'NOPE'"},
        "message": "unknown partner 'NOPE'",
    }
    assert "ligne 2 : partenaire inconnu &#x27;NOPE&#x27;" in record_page(manager(), record)
    assert "line 2: unknown partner &#x27;NOPE&#x27;" in record_page(manager("en"), record)


def test_an_old_record_with_only_english_messages_still_shows_them(world, manager):
    with scopes_disabled():
        record = RevenueImport.objects.create(
            tenant=world.a.tenant,
            filename="old.csv",
            status=RevenueImport.Status.REJECTED,
            error_count=1,
            errors=[{"line": 7, "message": "unknown partner 'OLD-1'"}],
        )

    assert "ligne 7 : unknown partner &#x27;OLD-1&#x27;" in record_page(manager(), record)
    assert import_error_text({"line": 7, "message": "unknown partner 'OLD-1'"}) == "unknown partner 'OLD-1'"


def test_an_unknown_code_falls_back_on_the_stored_message():
    assert import_error_text({"line": 1, "code": "gone", "params": {}, "message": "kept"}) == "kept"


def test_a_line_error_is_english_for_scripts_and_in_the_active_language_for_people():
    error = LineError(3, "amount_decimals", {"amount": "1,234"})

    with translation.override("fr"):
        assert error.message == "amount 1,234 has more than two decimals"
        assert error.text() == "le montant 1,234 a plus de deux décimales"
        assert str(error) == "ligne 3 : le montant 1,234 a plus de deux décimales"
    with translation.override("en"):
        assert str(error) == "line 3: amount 1,234 has more than two decimals"


# --- the commands speak the tenant's language -------------------------------------------------------------


def test_import_revenue_prints_the_error_lines_in_the_tenants_language(dstny, tmp_path, capsys):
    path = tmp_path / "revenue.csv"
    path.write_text("partner_ref;month;category;amount\nNOPE;2026-01;recurring;abc\n", encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError, match="rejected, nothing imported: 2 error"):
        call_command("import_revenue", "--tenant", "dstny", str(path))

    err = capsys.readouterr().err
    assert f"{path}: ligne 2 : partenaire inconnu 'NOPE'" in err
    assert f"{path}: ligne 2 : le montant 'abc' n’est pas un nombre" in err


def test_regrade_refuses_in_the_tenants_language(dstny):
    with (
        translation.override("en"),
        pytest.raises(
            CommandError, match="2026-03-01 n’est pas une date d’évaluation de dstny : .*mois 1, 7"
        ),
    ):
        call_command("regrade", "--tenant", "dstny", "--as-of", "2026-03-01", stdout=io.StringIO())

    Tenant.objects.filter(pk=dstny.tenant.pk).update(default_language="en")
    with translation.override("fr"), pytest.raises(CommandError, match="is not an evaluation date of dstny"):
        call_command("regrade", "--tenant", "dstny", "--as-of", "2026-03-01", stdout=io.StringIO())


def test_a_programme_without_tiers_is_refused_in_its_language(db):
    TenantFactory(slug="vide", default_language="fr")

    with pytest.raises(CommandError, match="Le programme vide n’a pas de statuts"):
        call_command("regrade", "--tenant", "vide", "--as-of", "2026-07-01", stdout=io.StringIO())


# --- the services raise in the active language (the back-office's is the manager's) ----------------------


def test_a_refused_evaluation_is_worded_in_the_active_language(dstny):
    day = dt.date(2026, 4, 1)

    with translation.override("fr"), pytest.raises(RegradeError, match="n’est pas une date d’évaluation"):
        evaluate(dstny.tenant, day)
    with translation.override("en"), pytest.raises(RegradeError, match="is not an evaluation date"):
        evaluate(dstny.tenant, day)
