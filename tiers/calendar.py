"""Evaluation dates and windows, in the tenant's time zone (the grading rule in the README)."""

import datetime as dt
from dataclasses import dataclass

from partnerportal.models import Tenant


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month (2026-05-xx → 2026-07-01: 2)."""
    return (end.year - start.year) * 12 + (end.month - start.month)


@dataclass(frozen=True)
class Window:
    """The complete calendar months before an evaluation date: [start, end], both inclusive."""

    evaluation_date: dt.date
    start: dt.date
    end: dt.date
    months: int


def window_for(evaluation_date: dt.date, months: int) -> Window:
    if evaluation_date.day != 1:
        raise ValueError(f"An evaluation date is the first day of a month, not {evaluation_date}.")
    start = add_months(evaluation_date, -months)
    return Window(evaluation_date, start, evaluation_date - dt.timedelta(days=1), months)


def tenant_today(tenant: Tenant) -> dt.date:
    return tenant.today()


def is_evaluation_date(tenant: Tenant, day: dt.date) -> bool:
    return day.day == 1 and day.month in tenant.evaluation_months


def latest_due_date(tenant: Tenant, today: dt.date | None = None) -> dt.date:
    """The most recent evaluation date on or before today (in the tenant's time zone)."""
    today = today or tenant_today(tenant)
    month = dt.date(today.year, today.month, 1)
    for back in range(13):
        candidate = add_months(month, -back)
        if candidate.month in tenant.evaluation_months:
            return candidate
    raise ValueError("A tenant needs at least one evaluation month.")


def next_evaluation_date(tenant: Tenant, today: dt.date | None = None) -> dt.date:
    """The first evaluation date strictly after today."""
    today = today or tenant_today(tenant)
    month = dt.date(today.year, today.month, 1)
    for ahead in range(1, 14):
        candidate = add_months(month, ahead)
        if candidate.month in tenant.evaluation_months:
            return candidate
    raise ValueError("A tenant needs at least one evaluation month.")


def rolling_window(tenant: Tenant, today: dt.date | None = None) -> Window:
    """ "If we evaluated today": the complete months before the current month."""
    today = today or tenant_today(tenant)
    return window_for(dt.date(today.year, today.month, 1), tenant.evaluation_period_months)
