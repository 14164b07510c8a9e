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


# Control characters (C0, DEL, C1) and the bidirectional overrides that make a name read backwards on screen
# ("invoice\u202Efdp.exe"). A line break in a name would also end an e-mail's subject.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _first_control(value: str, allowed: str = "") -> str | None:
    for char in value:
        if char in allowed:
            continue
        if char in BIDI_CONTROLS or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            return char
    return None


def _control_error(char: str) -> ValidationError:
    return ValidationError(
        _("Remove the invisible control character %(char)s from this text."),
        params={"char": f"U+{ord(char):04X}"},
        code="control_character",
    )


def validate_single_line(value: str) -> None:
    """Names: no control character at all, not even a line break or a tab."""
    char = _first_control(value)
    if char is not None:
        raise _control_error(char)


def validate_multiline(value: str) -> None:
    """Descriptions, notes, reasons: line breaks and tabs, but no other control character."""
    char = _first_control(value, allowed="\n\r\t")
    if char is not None:
        raise _control_error(char)
