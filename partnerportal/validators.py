"""Validators for French company numbers, programme settings and tenant logos."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .uploads import logo_check

# La Poste's establishments share one SIREN whose SIRETs do not pass the Luhn key: INSEE checks them by
# the sum of their digits being a multiple of 5 instead, except the head office, which keeps the Luhn key.
LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"


def _ascii_digits(value: str, length: int) -> bool:
    # str.isdigit() also accepts full-width and other scripts' digits, which int() would then convert.
    return len(value) == length and value.isascii() and value.isdigit()


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_siren(value: str) -> None:
    if not _ascii_digits(value, 9):
        raise ValidationError(
            _("A SIREN has 9 digits; %(value)s does not."), params={"value": value}, code="format"
        )
    if not luhn_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid SIREN: its check digit is wrong."),
            params={"value": value},
            code="luhn",
        )


def validate_siret(value: str) -> None:
    if not _ascii_digits(value, 14):
        raise ValidationError(
            _("A SIRET has 14 digits; %(value)s does not."), params={"value": value}, code="format"
        )
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_HEAD_OFFICE:
        valid = sum(int(c) for c in value) % 5 == 0
    else:
        valid = luhn_valid(value)
    if not valid:
        raise ValidationError(
            _("%(value)s is not a valid SIRET: its check digit is wrong."),
            params={"value": value},
            code="luhn",
        )


def validate_evaluation_months(value) -> None:
    if (
        not isinstance(value, list)
        or not value
        or any(not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= 12 for m in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError(_("Give a list of distinct month numbers from 1 to 12, e.g. [1, 7]."))


def validate_logo(value) -> None:
    """A logo being uploaded is an image with nothing active in it (``uploads.logo_check``). A file already
    stored is left alone: it was checked when it came, and reading it at every save would cost a read."""
    if getattr(value, "_committed", True):
        return
    logo_check(value)
