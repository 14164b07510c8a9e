"""The programme's rules for benefits, as pure functions of plain data (no queries): the selectors feed them.

- **Cumulative tiers, replacements.** A partner has every benefit of its type from its tier down, except
  those that a benefit it also has ``replaces`` (seed 002: BizBooster 150 € at Access, 500 € at Premium).
- **Reaching the tier.** A benefit of tier T was reached on the first day of the partner's latest
  uninterrupted stretch at T or above, read from the assessment history up to the day asked: walking back
  from the latest assessment while the applied tier ranks at least T, the stretch starts at the oldest
  assessment of the walk. Before its first assessment a partner is at the entry tier since it joined, so
  the entry tier's benefits were reached on ``date_joined`` (also when the walk never leaves T or above
  and T is the entry tier). A partner that falls below T and climbs back starts a new stretch.
- **Validity.** ``validity_months`` after reaching the tier, the last day included: the last valid day is
  the day before the same day N months later (reached on 1 July with 3 months → 30 September). When that
  month is too short to have the day, the validity runs to the end of that month (reached on 31 January
  with 1 month → 28 February, 29 in a leap year), never into the next.
- **Periods.** A claim counts against the period containing the day it is made: the calendar month,
  quarter or year (in the tenant's time zone), or, for "once", the stretch at the tier (its start).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tiers.calendar import add_months

ONE_DAY = dt.timedelta(days=1)


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, or the first day of the month after it when that month
    is too short to have the day (31 January + 1 → 1 March): the exclusive end of a validity."""
    same_day = add_months(day, months) + dt.timedelta(days=day.day - 1)
    return min(same_day, add_months(day, months + 1))


def reached_on(
    *, history: Sequence[tuple[dt.date, int]], rank: int, entry_rank: int, joined: dt.date
) -> dt.date | None:
    """When the partner reached tier ``rank`` for its current stretch (see the module docstring).

    ``history`` is (evaluation date, applied tier rank), newest first, up to the day asked. None when the
    partner is below ``rank`` on that day.
    """
    current = history[0][1] if history else entry_rank
    if current < rank:
        return None
    start = None
    for evaluation_date, applied_rank in history:
        if applied_rank < rank:
            return start
        start = evaluation_date
    # The stretch reaches back to the first assessment; before it the partner was at the entry tier.
    return joined if rank <= entry_rank else start


def valid_until(reached: dt.date | None, validity_months: int | None) -> dt.date | None:
    """The last day (inclusive) a benefit may be claimed, or None when it lasts as long as the tier."""
    if reached is None or not validity_months:
        return None
    return months_later(reached, validity_months) - ONE_DAY


def period_start(period: str, day: dt.date, reached: dt.date | None) -> dt.date | None:
    """The first day of the period of ``period`` kind that contains ``day``: what a claim counts against."""
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == "year":
        return dt.date(day.year, 1, 1)
    return reached  # "once": the stretch at the tier


def not_replaced(benefits: Iterable[Any]) -> list[Any]:
    """``benefits`` (which all apply) without those that another of them replaces."""
    benefits = list(benefits)
    replaced = {b.replaces_id for b in benefits if b.replaces_id}
    return [b for b in benefits if b.pk not in replaced]


@dataclass(frozen=True)
class Cell:
    """One benefit at one tier in the comparison: included (maybe new at it), replaced (by), or not."""

    tier: Any
    included: bool
    new: bool = False
    replaced_by: Any = None


def comparison_cells(benefits: Sequence[Any], tiers: Sequence[Any]) -> list[tuple[Any, list[Cell]]]:
    """Benefit rows × tier columns: what each tier gives, cumulatively, with the replacements applied.

    ``benefits`` have ``from_tier`` loaded; ``tiers`` are in rank order.
    """
    by_pk = {b.pk: b for b in benefits}
    replacers: dict[int, list[Any]] = {}
    for b in benefits:
        if b.replaces_id in by_pk:
            replacers.setdefault(b.replaces_id, []).append(b)
    rows = []
    for benefit in benefits:
        cells = []
        for tier in tiers:
            if benefit.from_tier.rank > tier.rank:
                cells.append(Cell(tier=tier, included=False))
                continue
            replacer = next((r for r in replacers.get(benefit.pk, []) if r.from_tier.rank <= tier.rank), None)
            if replacer is not None:
                cells.append(Cell(tier=tier, included=False, replaced_by=replacer))
            else:
                cells.append(Cell(tier=tier, included=True, new=benefit.from_tier.rank == tier.rank))
        rows.append((benefit, cells))
    return rows
