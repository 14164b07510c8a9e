"""The partner home's "What needs doing" and "What changed lately", fed by every app.

Apps register in their AppConfig.ready, as they do for the navigation:

- ``register_recent(kind, rows, describe)``: ``rows(partner)`` gives a queryset of the partner's events
  of that kind, shaped by ``recent_rows`` (when, which object, its state, a label); ``describe(row)`` turns
  one row into an ``Event``. The home reads every kind in *one* query (a UNION), whatever the number of
  apps or the length of the partner's history.
- ``register_todo(todo, link=(url_name, label))``: ``todo(partner, today)`` lists what the partner should
  do now, soonest first, in one query; ``link`` is the page with all of it.
- ``register_standing(standing, template)``: ``standing(partner=, today=)`` gives the partner's tier
  standing, shown by the app's ``template`` in the home's hero (the tiers app; nothing without it).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import CharField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Cast

from .models import Partner

RECENT_LIMIT = 8
TODO_LIMIT = 6


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    text: str
    url: str | None = None
    tone: str = "neutral"  # "good", "bad", "neutral": the colour of its marker
    kind: str = ""


@dataclass(frozen=True)
class Todo:
    text: str
    url: str
    due: dt.date | None = None
    overdue: bool = False
    kind: str = ""


@dataclass(frozen=True)
class RecentRow:
    kind: str
    at: dt.datetime
    ref: int
    state: str
    label: str


_recent: dict[str, tuple[Callable[[Partner], QuerySet], Callable[[RecentRow], Event | None]]] = {}
_todos: list[Callable[[Partner, dt.date], list[Todo]]] = []
_todo_links: list[tuple[str, str]] = []  # (URL name, lazy label)
_standing: dict[str, object] = {}


def register_recent(
    kind: str, rows: Callable[[Partner], QuerySet], describe: Callable[[RecentRow], Event | None]
) -> None:
    _recent[kind] = (rows, describe)


def register_todo(todo: Callable[[Partner, dt.date], list[Todo]], *, link: tuple[str, str]) -> None:
    if todo not in _todos:
        _todos.append(todo)
        _todo_links.append(link)


def todo_links() -> list[tuple[str, str]]:
    return list(_todo_links)


def register_standing(standing: Callable, *, template: str) -> None:
    _standing.update(function=standing, template=template)


def standing(partner: Partner, today: dt.date):
    return _standing["function"](partner=partner, today=today) if _standing else None


def standing_template() -> str | None:
    return _standing.get("template")


def recent_rows(queryset: QuerySet, *, kind: str, at, state, label, ref="pk") -> QuerySet:
    """``queryset`` as the common columns of the UNION, in one order for every app."""
    return (
        queryset.order_by()  # no ORDER BY inside a UNION's parts
        .annotate(
            activity_kind=Value(kind, output_field=CharField()),
            activity_at=Cast(at, DateTimeField()),
            activity_ref=F(ref) if isinstance(ref, str) else ref,
            activity_state=Cast(state, CharField()),
            activity_label=Cast(label, CharField()),
        )
        .values_list("activity_kind", "activity_at", "activity_ref", "activity_state", "activity_label")
    )


def recent_queryset(partner: Partner, *, limit: int = RECENT_LIMIT) -> QuerySet | None:
    """The UNION of every registered kind's rows for ``partner``, newest first (None: no kind)."""
    querysets = [rows(partner) for rows, _ in _recent.values()]
    if not querysets:
        return None
    union = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    return union.order_by("-activity_at", "-activity_ref")[:limit]


def recent_events(partner: Partner, *, limit: int = RECENT_LIMIT) -> list[Event]:
    """The partner's latest events of every registered kind, newest first; one query."""
    if not _recent:
        return []
    events = []
    for kind, at, ref, state, label in recent_queryset(partner, limit=limit):
        if at is None:
            continue
        event = _recent[kind][1](RecentRow(kind=kind, at=at, ref=ref, state=state, label=label))
        if event is not None:
            events.append(event)
    return events


def todos(partner: Partner, today: dt.date, *, limit: int = TODO_LIMIT) -> list[Todo]:
    items = [item for todo in _todos for item in todo(partner, today)]
    items.sort(key=lambda item: (not item.overdue, item.due or dt.date.max))
    return items[:limit]
