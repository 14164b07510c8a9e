"""Evaluation dates and windows (tiers/calendar.py), in the tenant's time zone."""

import datetime as dt

import pytest

from tests.partnerportal.factories import TenantFactory
from tiers.calendar import (
    add_months,
    is_evaluation_date,
    latest_due_date,
    months_between,
    next_evaluation_date,
    rolling_window,
    tenant_today,
    window_for,
)

UTC = dt.UTC


@pytest.fixture
def paris(db):
    return TenantFactory(slug="paris", timezone="Europe/Paris", evaluation_months=[1, 7])


@pytest.mark.parametrize(
    ("now", "due", "following"),
    [
        (dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), dt.date(2026, 7, 1), dt.date(2027, 1, 1)),
        # 23:30 on 31 December in Paris: still the evaluation of July.
        (dt.datetime(2026, 12, 31, 22, 30, tzinfo=UTC), dt.date(2026, 7, 1), dt.date(2027, 1, 1)),
        # 31 December, 23:30 UTC is already 1 January, 00:30 in Paris.
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), dt.date(2027, 1, 1), dt.date(2027, 7, 1)),
        # Summer time: 1 July starts at 22:00 UTC.
        (dt.datetime(2026, 6, 30, 21, 59, tzinfo=UTC), dt.date(2026, 1, 1), dt.date(2026, 7, 1)),
        (dt.datetime(2026, 6, 30, 22, 0, tzinfo=UTC), dt.date(2026, 7, 1), dt.date(2027, 1, 1)),
    ],
)
def test_the_due_and_next_evaluations_follow_the_tenants_clock(paris, time_machine, now, due, following):
    time_machine.move_to(now, tick=False)

    assert latest_due_date(paris) == due
    assert next_evaluation_date(paris) == following


def test_another_time_zone_reaches_1_january_later(paris, time_machine):
    martinique = TenantFactory(slug="martinique", timezone="America/Martinique")
    time_machine.move_to(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False)

    assert tenant_today(paris) == dt.date(2027, 1, 1)
    assert tenant_today(martinique) == dt.date(2026, 12, 31)
    assert latest_due_date(martinique) == dt.date(2026, 7, 1)


def test_the_evaluation_months_are_the_tenants(db, time_machine):
    tenant = TenantFactory(evaluation_months=[4, 10])
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)

    assert latest_due_date(tenant) == dt.date(2026, 10, 1)
    assert next_evaluation_date(tenant) == dt.date(2027, 4, 1)
    assert is_evaluation_date(tenant, dt.date(2026, 4, 1))
    assert not is_evaluation_date(tenant, dt.date(2026, 7, 1))


def test_the_window_is_the_complete_months_before_the_date():
    window = window_for(dt.date(2026, 7, 1), 6)

    assert (window.start, window.end, window.months) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30), 6)
    assert window_for(dt.date(2027, 1, 1), 6).start == dt.date(2026, 7, 1)
    assert window_for(dt.date(2027, 1, 1), 6).end == dt.date(2026, 12, 31)
    with pytest.raises(ValueError):
        window_for(dt.date(2026, 7, 2), 6)


def test_the_rolling_window_ends_with_the_last_complete_month(paris, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)

    window = rolling_window(paris)

    assert (window.evaluation_date, window.start, window.end) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 10, 31),
    )


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2026, 5, 31), dt.date(2026, 7, 1), 2),
        (dt.date(2026, 6, 1), dt.date(2026, 7, 1), 1),
        (dt.date(2025, 12, 15), dt.date(2026, 7, 1), 7),
    ],
)
def test_months_between_counts_the_start_month(start, end, months):
    assert months_between(start, end) == months


def test_add_months_crosses_years():
    assert add_months(dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2026, 7, 1), 6) == dt.date(2027, 1, 1)
