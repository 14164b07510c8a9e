"""Dates and money per language (partnerportal/formatting.py and the template builtins)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from partnerportal.formatting import date_format, money


@pytest.mark.parametrize(
    ("language", "amount", "expected"),
    [
        ("fr", Decimal("1234.56"), "1\xa0234,56\xa0€"),
        ("en", Decimal("1234.56"), "€1,234.56"),
        ("fr", Decimal("-12"), "-12,00\xa0€"),
        ("en", Decimal("-12"), "-€12.00"),
        ("fr", Decimal("1000000.005"), "1\xa0000\xa0000,01\xa0€"),  # half up, to the cent
        ("en", 0, "€0.00"),
        ("fr", None, ""),
    ],
)
def test_money_is_written_the_way_each_language_writes_it(language, amount, expected):
    with translation.override(language):
        assert money(amount) == expected


def test_money_without_cents():
    with translation.override("fr"):
        assert money(Decimal("10000"), decimals=0) == "10\xa0000\xa0€"


@pytest.mark.parametrize(
    ("language", "day", "fmt", "expected"),
    [
        ("fr", dt.date(2026, 1, 1), "DATE_FORMAT", "1er janvier 2026"),
        ("fr", dt.date(2026, 1, 2), "DATE_FORMAT", "2 janvier 2026"),
        ("fr", dt.date(2026, 7, 1), "j F", "1er juillet"),
        ("fr", dt.date(2026, 7, 1), r"\j j", "j 1er"),  # an escaped j stays a letter
        ("fr", dt.date(2026, 7, 1), "SHORT_DATE_FORMAT", "01/07/2026"),  # digits only: no ordinal
        ("en", dt.date(2026, 1, 1), "DATE_FORMAT", "January 1, 2026"),
        ("fr", dt.datetime(2026, 3, 1, 9, 30), "j F Y H:i", "1er mars 2026 09:30"),
    ],
)
def test_dates_say_1er_in_french_only(language, day, fmt, expected):
    with translation.override(language):
        assert date_format(day, fmt) == expected


def test_every_template_gets_the_date_and_money_filters_without_loading_them():
    template = Template(
        '{{ day|date:"DATE_FORMAT" }} · {{ day|date:"c" }} · {{ amount|money }} · {{ none|date }}'
    )
    context = Context({"day": dt.date(2027, 1, 1), "amount": Decimal("320"), "none": None})
    with translation.override("fr"):
        assert template.render(context) == "1er janvier 2027 · 2027-01-01 · 320,00\xa0€ · "
    with translation.override("en"):
        assert template.render(context) == "January 1, 2027 · 2027-01-01 · €320.00 · "
