"""Where the apps above tiers plug into grading and "Mon statut", so that tiers imports none of them.

- ``register_promotion_hold(fn)``: ``fn(tenant=..., evaluation_date=...)`` returns ``(partner_id, why)``
  pairs for the partners whose promotion is held back at that evaluation (a blocking duty still undone,
  say). The engine asks once per run, with one query per hook: a join, never a query per partner. A held
  partner keeps its tier; the assessment records ``why``; the movement is ``held``.
- ``register_tier_gap(fn)``: ``fn(partner=..., tier=...)`` returns short translated phrases of what the
  partner still lacks for ``tier`` besides revenue ("2 formations"); "Mon statut" joins them to the money.
- ``register_bench_data(fn)``: ``fn(tenant=..., evaluation_date=...)`` adds the app's synthetic data to the
  ``bench_regrade`` tenant once its partners and ledger exist (set-based: INSERT … SELECT, not a loop) and
  returns a line saying what it made, so that the bench times the engine with what it joins.
"""

import datetime as dt
from collections.abc import Callable, Iterable

_holds: list[Callable[..., Iterable[tuple[int, str]]]] = []
_gaps: list[Callable[..., list[str]]] = []
_bench_data: list[Callable[..., str]] = []


def register_promotion_hold(fn: Callable[..., Iterable[tuple[int, str]]]) -> None:
    if fn not in _holds:
        _holds.append(fn)


def register_tier_gap(fn: Callable[..., list[str]]) -> None:
    if fn not in _gaps:
        _gaps.append(fn)


def promotion_holds(*, tenant, evaluation_date: dt.date) -> dict[int, str]:
    """Partner id -> why its promotion is held at ``evaluation_date`` (the first hook's reason wins)."""
    held: dict[int, str] = {}
    for fn in _holds:
        for partner_id, why in fn(tenant=tenant, evaluation_date=evaluation_date):
            held.setdefault(partner_id, why)
    return held


def tier_gaps(*, partner, tier) -> list[str]:
    return [phrase for fn in _gaps for phrase in fn(partner=partner, tier=tier)]


def register_bench_data(fn: Callable[..., str]) -> None:
    if fn not in _bench_data:
        _bench_data.append(fn)


def bench_data(*, tenant, evaluation_date: dt.date) -> list[str]:
    return [fn(tenant=tenant, evaluation_date=evaluation_date) for fn in _bench_data]
