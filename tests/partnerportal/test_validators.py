"""French company numbers (SIREN, SIRET: Luhn key, La Poste's exception) and programme settings."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from partnerportal.validators import validate_evaluation_months, validate_siren, validate_siret
from tests.partnerportal.factories import PartnerFactory, luhn_check_digit, with_luhn_key

# Real, published numbers (annuaire-entreprises.data.gouv.fr).
VALID_SIRENS = ["732829320", "443061841", "552081317", "380129866", "356000000"]
VALID_SIRETS = ["73282932000074", "44306184100047", "55208131766522", "38012986646850"]


def error_code(validator, value) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return excinfo.value.code


@pytest.mark.parametrize("value", VALID_SIRENS)
def test_valid_siren(value):
    validate_siren(value)


@pytest.mark.parametrize("value", ["732829321", "443061840", "123456789", "000000001"])
def test_siren_with_a_wrong_key(value):
    assert error_code(validate_siren, value) == "luhn"


@pytest.mark.parametrize("value", ["", "73282932", "7328293200", "73282932A", "732 829 320", "-73282932"])
def test_siren_with_a_wrong_format(value):
    assert error_code(validate_siren, value) == "format"


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validate_siren, "732829320".translate(FULL_WIDTH)),
        (validate_siren, "732829320".translate(ARABIC_INDIC)),
        (validate_siret, "73282932000074".translate(FULL_WIDTH)),
    ],
    ids=["siren-full-width", "siren-arabic-indic", "siret-full-width"],
)
def test_non_ascii_digits_are_refused(validator, value):
    # str.isdigit() and int() accept them, and their Luhn key is right; but they are no company number.
    assert error_code(validator, value) == "format"


@pytest.mark.parametrize("value", VALID_SIRETS)
def test_valid_siret(value):
    validate_siret(value)


@pytest.mark.parametrize("value", ["73282932000079", "44306184100048", "12345678901234"])
def test_siret_with_a_wrong_key(value):
    assert error_code(validate_siret, value) == "luhn"


@pytest.mark.parametrize(
    "value", ["", "7328293200007", "732829320000740", "7328293200007A", "732 829 320 00074"]
)
def test_siret_with_a_wrong_format(value):
    assert error_code(validate_siret, value) == "format"


# La Poste's establishments share SIREN 356 000 000; their SIRETs are checked by the sum of their digits
# being a multiple of 5, not by Luhn — except the head office's, 356 000 000 00048, which keeps Luhn.


@pytest.mark.parametrize("value", ["35600000049837", "35600000000001"])
def test_la_poste_establishment_is_checked_by_its_digit_sum(value):
    assert sum(map(int, value)) % 5 == 0
    validate_siret(value)  # although its Luhn key is wrong


def test_la_poste_establishment_with_a_luhn_key_but_a_wrong_sum_is_refused():
    value = "35600000000014"
    assert value == with_luhn_key(value[:-1])  # passes Luhn…
    assert error_code(validate_siret, value) == "luhn"  # …but La Poste's rule is the digit sum


def test_la_poste_head_office_keeps_the_luhn_key():
    # INSEE (and python-stdnum's fr.siret) take 356 000 000 00048 as La Poste's head office.
    validate_siret("35600000000048")


def test_la_poste_siret_with_a_wrong_sum_is_refused():
    assert error_code(validate_siret, "35600000049838") == "luhn"


# --- the factories' numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "digit"), [("73282932", "0"), ("7328293200007", "4"), ("44306184", "1")])
def test_factory_luhn_check_digit_matches_real_numbers(prefix, digit):
    assert luhn_check_digit(prefix) == digit


def test_factory_partners_have_valid_company_numbers(db):
    for partner in PartnerFactory.create_batch(20):
        validate_siren(partner.siren)
        validate_siret(partner.siret)
        assert partner.siret.startswith(partner.siren)
        with scopes_disabled():
            partner.full_clean()


# --- evaluation months -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [[1, 7], [1], [12], list(range(1, 13)), [7, 1]])
def test_valid_evaluation_months(value):
    validate_evaluation_months(value)


@pytest.mark.parametrize("value", [[], [0], [13], [1, 1], ["1"], [True], [1.0], "1,7", None, {"1": 1}])
def test_invalid_evaluation_months(value):
    with pytest.raises(ValidationError):
        validate_evaluation_months(value)
