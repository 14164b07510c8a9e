"""The programme's rules as pure functions (benefits/rules.py): reaching a tier, validity, periods, the grid."""

import datetime as dt
from types import SimpleNamespace

import pytest

from benefits import rules

JOINED = dt.date(2024, 1, 15)
D = dt.date


def reached(history, rank, entry_rank=1):
    return rules.reached_on(history=history, rank=rank, entry_rank=entry_rank, joined=JOINED)


def test_a_partner_never_assessed_reached_the_entry_tier_when_it_joined():
    assert reached([], rank=1) == JOINED
    assert reached([], rank=2) is None


def test_the_stretch_starts_at_the_oldest_assessment_at_or_above_the_tier():
    history = [(D(2026, 7, 1), 3), (D(2026, 1, 1), 2), (D(2025, 7, 1), 1)]

    assert reached(history, rank=2) == D(2026, 1, 1)  # Access since January, Business since July: one stretch
    assert reached(history, rank=3) == D(2026, 7, 1)
    assert reached(history, rank=1) == JOINED
    assert reached(history, rank=4) is None


def test_falling_below_the_tier_and_climbing_back_starts_a_new_stretch():
    history = [(D(2026, 7, 1), 2), (D(2026, 1, 1), 1), (D(2025, 7, 1), 2)]

    assert reached(history, rank=2) == D(2026, 7, 1)


def test_a_stretch_back_to_the_first_assessment_starts_there_above_the_entry_tier():
    history = [(D(2026, 1, 1), 3), (D(2025, 7, 1), 3)]

    assert reached(history, rank=2) == D(2025, 7, 1)
    assert reached(history, rank=1) == JOINED


@pytest.mark.parametrize(
    ("reached_on", "months", "until"),
    [
        (D(2026, 7, 1), 3, D(2026, 9, 30)),  # the last day included
        (D(2026, 1, 15), 1, D(2026, 2, 14)),  # the day before the same day a month later
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # February has no 31st: to its end, not the 27th
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a leap year
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 3, 1), 1, D(2026, 3, 31)),  # after a short month, the whole of the next
        (D(2026, 3, 31), 3, D(2026, 6, 30)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 5, 31), 1, D(2026, 6, 30)),
        (D(2026, 12, 31), 2, D(2027, 2, 28)),  # across the year
        (D(2026, 11, 1), 3, D(2027, 1, 31)),
        (D(2026, 7, 1), None, None),
        (None, 3, None),
    ],
)
def test_validity_ends_the_day_before_the_months_are_up(reached_on, months, until):
    assert rules.valid_until(reached_on, months) == until


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("month", D(2026, 8, 1)),
        ("quarter", D(2026, 7, 1)),
        ("year", D(2026, 1, 1)),
        ("once", D(2026, 7, 1)),
    ],
)
def test_periods_are_calendar_periods_or_the_stretch_at_the_tier(period, start):
    assert rules.period_start(period, D(2026, 8, 15), D(2026, 7, 1)) == start


def test_the_first_quarter_starts_in_january():
    assert rules.period_start("quarter", D(2026, 3, 31), None) == D(2026, 1, 1)


def _benefit(pk, rank, replaces=None):
    return SimpleNamespace(pk=pk, from_tier=SimpleNamespace(rank=rank), replaces_id=replaces)


def test_replaced_benefits_are_dropped_only_when_the_replacing_one_applies():
    low, high, other = _benefit(1, 2), _benefit(2, 4, replaces=1), _benefit(3, 1)

    assert rules.not_replaced([low, other]) == [low, other]
    assert rules.not_replaced([low, high, other]) == [high, other]


def test_the_comparison_is_cumulative_with_replacements():
    tiers = [SimpleNamespace(rank=r) for r in (1, 2, 3, 4)]
    wiki, low, high = _benefit(1, 1), _benefit(2, 2), _benefit(3, 4, replaces=2)

    rows = dict((b.pk, cells) for b, cells in rules.comparison_cells([wiki, low, high], tiers))

    assert [c.included for c in rows[1]] == [True, True, True, True]
    assert [c.new for c in rows[1]] == [True, False, False, False]
    assert [c.included for c in rows[2]] == [False, True, True, False]
    assert rows[2][3].replaced_by is high and rows[2][0].replaced_by is None
    assert [c.included for c in rows[3]] == [False, False, False, True]
