"""The partner home's "What needs doing" and "What changed lately", fed by every app.

Apps register in their AppConfig.ready, as they do for the navigation:

- ``register_recent(kind, rows, describe)``: ``rows(partner)`` gives a queryset of the partner's events
  of that kind, shaped by ``recent_rows`` (when, which object, its state, a label); ``describe(row)`` turns
  one row into an ``Event``. The home reads every kind in *one* query (a UNION), whatever the number of
  apps or the length of the partner's history.
- ``register_todo(todo)``: ``todo(partner, today)`` lists what the partner should do now, soonest first,
  in one query.
- ``register_standing(standing)``: ``standing(partner=, today=)`` gives the partner's tier standing for the
  home's hero (the tiers app; None without it).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scope

from .models import Partner
from .tenancy import current_tenant_id

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
_standing: list[Callable] = []


def register_recent(
    kind: str, rows: Callable[[Partner], QuerySet], describe: Callable[[RecentRow], Event | None]
) -> None:
    _recent[kind] = (rows, describe)


def register_todo(todo: Callable[[Partner, dt.date], list[Todo]]) -> None:
    if todo not in _todos:
        _todos.append(todo)


def register_standing(standing: Callable) -> None:
    _standing[:] = [standing]


def standing(partner: Partner, today: dt.date):
    return _standing[0](partner=partner, today=today) if _standing else None


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


# Building and compiling the UNION costs more Python than the rest of the home page's queries together, and
# only the partner and its tenant change from one home page to the next. So the SQL is compiled once per
# database, registry and limit, for stand-in ids, which each request replaces by its own.
_PARTNER_STAND_IN = -7_000_000_001
_TENANT_STAND_IN = -7_000_000_002
_compiled: dict[tuple, tuple[str, tuple] | None] = {}


def _compiled_sql(limit: int) -> tuple[str, tuple] | None:
    key = (connection.vendor, connection.alias, tuple(_recent), limit)
    if key not in _compiled:
        with scope(tenant=_TENANT_STAND_IN):
            queryset = recent_queryset(Partner(pk=_PARTNER_STAND_IN, tenant_id=_TENANT_STAND_IN), limit=limit)
            sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        stand_ins = [p for p in params if p in (_PARTNER_STAND_IN, _TENANT_STAND_IN)]
        # Each part filters on its tenant and its partner; anything else and the ORM path is used.
        _compiled[key] = (sql, tuple(params)) if len(stand_ins) == 2 * len(_recent) else None
    return _compiled[key]


def _as_datetime(value) -> dt.datetime | None:
    """The UNION's "at" column as the database gives it (a datetime, or text on SQLite), made aware."""
    if value is None or isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _recent_rows(partner: Partner, limit: int):
    # The tenant filter is the open scope's, as the ORM's would be; with no tenant scope open (or none
    # compiled) the ORM runs the query, and django-scopes refuses it as it refuses any other.
    tenant_id = current_tenant_id()
    compiled = _compiled_sql(limit) if tenant_id is not None else None
    if compiled is None:
        queryset = recent_queryset(partner, limit=limit)
        return [] if queryset is None else list(queryset)
    sql, params = compiled
    stand_ins = {_PARTNER_STAND_IN: partner.pk, _TENANT_STAND_IN: tenant_id}
    with connection.cursor() as cursor:
        cursor.execute(sql, [stand_ins.get(p, p) if isinstance(p, int) else p for p in params])
        return [
            (kind, _as_datetime(at), ref, state, label) for kind, at, ref, state, label in cursor.fetchall()
        ]


def recent_events(partner: Partner, *, limit: int = RECENT_LIMIT) -> list[Event]:
    """The partner's latest events of every registered kind, newest first; one query."""
    if not _recent:
        return []
    events = []
    for kind, at, ref, state, label in _recent_rows(partner, limit):
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
