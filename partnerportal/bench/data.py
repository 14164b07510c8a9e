"""A tenant at scale for ``bench_pages``: its own partners cloned, with everything that hangs off them.

Each bench partner ``BENCH-<n>`` is a copy of one of the tenant's own partners (the demo's 40, taken in
turn) with all its rows: revenue ledger, assessments and current tier, duties, claims, documents, quotes,
plans, their history... whatever the installed apps keep per partner. Which tables those are is found from
the models, the way ``tenancy.tenant_owned_paths`` finds a tenant's tables: a model is cloned when a
non-null foreign key ties it to a cloned model (simple-history's records follow their model), so an app
added later is cloned without being named here. The data is as varied as the demo and consistent with the
tenant's programme (its tiers, duties, benefits), which synthetic rows would have to re-invent.

Every table is copied in one ``INSERT … SELECT`` (portable SQL: PostgreSQL, and SQLite for the tests).
Rows that others point to get their new ids from a mapping table (old id, clone number, new id); the
references are rewritten through it. Each bench partner gets one administrator, ``bench-<n>@<tenant>.bench.invalid``
(kept across rebuilds: a later build reuses them), and the partner-side people the copied rows name
(who claimed, who uploaded) become that administrator. Single-column and tenant-wide unique text values
(a document's verification code, a quote's reference) get a ``~<n>.<id>`` suffix.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction

from partnerportal.models import Membership, Partner, Tenant

REF_PREFIX = "BENCH-"
MAP = "bp_map_{}"  # temporary tables: the partners' map is bp_map_0, the others' bp_map_<n + 1>
SUFFIX_ROOM = 20  # "~<clone>.<id>"


class BenchDataError(Exception):
    pass


@dataclass
class Clone:
    """How one model is copied: ``driver`` is the column that ties a row to its ``parent`` (a cloned model)."""

    model: type[models.Model]
    driver: models.Field | None  # None for Partner, the root
    parent: type[models.Model] | None
    mapped: dict[str, type[models.Model]] = field(default_factory=dict)  # column -> cloned model it refers to
    needs_map: bool = False  # other clones refer to its rows: new ids are assigned through a mapping table

    @property
    def table(self) -> str:
        return self.model._meta.db_table


def bench_email_domain(tenant: Tenant) -> str:
    return f"{tenant.slug}.bench.invalid"


def _history_of(model) -> type[models.Model] | None:
    """The model a simple-history record model records, if ``model`` is one."""
    return getattr(model, "instance_type", None)


def _reference_target(model, f: models.Field) -> type[models.Model] | None:
    if f.many_to_one or f.one_to_one:
        return f.related_model
    instance = _history_of(model)
    if instance is not None and f.name == instance._meta.pk.name and not f.is_relation:
        return instance  # a historical record's copy of the recorded row's id
    return None


def clone_plan() -> list[Clone]:
    """The models to copy, parents before the models that refer to them."""
    from django.apps import apps

    found: dict[type, Clone] = {Partner: Clone(Partner, None, None)}
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m is not Membership  # people are made apart
    ]
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in found:
                continue
            for f in model._meta.concrete_fields:
                target = _reference_target(model, f)
                ties = target is not None and (not f.null or _history_of(model) is target)
                if ties and target in found:
                    found[model] = Clone(model, f, target)
                    changed = True
                    break
    # Rows whose copies would repeat a unique set they cannot vary (an offer of a lead, which one partner
    # at a time may hold) stay with the partners they were made for; so do the rows that hang off them.
    dropped = True
    while dropped:
        dropped = False
        for model, clone in list(found.items()):
            if model is not Partner and (
                clone.parent not in found or _fixed_unique_set(model, set(found)) is not None
            ):
                del found[model]
                dropped = True
    for clone in found.values():
        for f in clone.model._meta.concrete_fields:
            target = _reference_target(clone.model, f)
            if target in found and target is not clone.model:
                clone.mapped[f.column] = target
                found[target].needs_map = True
    for clone in found.values():
        pk = clone.model._meta.pk
        if clone.needs_map and not isinstance(pk, models.AutoField | models.ForeignKey):
            raise BenchDataError(f"cannot clone {clone.model._meta.label}: its primary key is not a number")
    # Parents before children: a depth-first walk over every reference, not only the drivers.
    ordered: list[Clone] = []
    state: dict[type, str] = {}

    def visit(model):
        if state.get(model) == "done":
            return
        if state.get(model) == "active":
            raise BenchDataError(f"cannot clone {model._meta.label}: its references go round in a circle")
        state[model] = "active"
        for target in found[model].mapped.values():
            visit(target)
        state[model] = "done"
        ordered.append(found[model])

    for model in found:
        visit(model)
    return ordered


def _unique_groups(opts) -> list[tuple[str, ...]]:
    groups = [(f.name,) for f in opts.concrete_fields if f.unique and not f.primary_key]
    groups += [tuple(group) for group in opts.unique_together]
    groups += [
        tuple(c.fields) for c in opts.constraints if isinstance(c, models.UniqueConstraint) and c.fields
    ]
    return groups


def _fixed_unique_set(model, cloned: set) -> tuple[str, ...] | None:
    """A unique set of ``model`` that a copy could not vary: no column refers to a cloned model (whose copy
    has a new id), and no text column has room for a suffix."""
    opts = model._meta
    for group in _unique_groups(opts):
        fields = [opts.get_field(name) for name in group]
        if any(_reference_target(model, f) in cloned for f in fields):
            continue
        text = next((f for f in fields if isinstance(f, models.CharField | models.TextField)), None)
        if text is None or (text.max_length is not None and text.max_length < SUFFIX_ROOM + 4):
            return group
    return None


def _unique_text_columns(clone: Clone, overridden: set[str]) -> set[str]:
    """The text column to suffix in each unique set that a cloned row would otherwise repeat."""
    opts = clone.model._meta
    columns = set()
    for group in _unique_groups(opts):
        fields = [opts.get_field(name) for name in group]
        if any(f.column in clone.mapped or f.column in overridden for f in fields):
            continue  # the copy differs there already
        text = next((f for f in fields if isinstance(f, models.CharField | models.TextField)), None)
        if text is None or (text.max_length is not None and text.max_length < SUFFIX_ROOM + 4):
            raise BenchDataError(
                f"cannot clone {opts.label}: unique on {', '.join(group)}, no room for a suffix"
            )
        columns.add(text.column)
    return columns


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))  # always a list: '%%' is read as '%' by both backends then
        return cursor.rowcount


def _scalar(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchone()[0]


def bench_partner_count(*, tenant: Tenant) -> int:
    return Partner._base_manager.filter(tenant=tenant, external_ref__startswith=REF_PREFIX).count()


def bench_tenant_build(
    *, tenant: Tenant, partners: int, say: Callable[[str], None] = lambda line: None
) -> dict:
    """Replace the tenant's bench partners by ``partners`` fresh copies of its own; returns rows per table.

    One transaction: a build that fails leaves the previous bench data as it was.
    """
    plan = clone_plan()
    counts: dict[str, int] = {}
    with transaction.atomic():
        bench_tenant_drop(tenant=tenant, plan=plan, say=say)
        sources = Partner._base_manager.filter(tenant=tenant).exclude(external_ref__startswith=REF_PREFIX)
        if not sources.exists():
            raise BenchDataError(f"the tenant {tenant.slug!r} has no partner to copy")
        try:
            _build(tenant=tenant, partners=partners, plan=plan, counts=counts, say=say)
        finally:
            _drop_temporary(plan)
        models_ = [clone.model for clone in plan] + [Membership, get_user_model()]
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            _execute(sql)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # VACUUM needs autocommit
        started = time.perf_counter()
        for clone in plan:
            _execute(f"VACUUM ANALYZE {_q(clone.table)}")
        for model in (Membership, get_user_model()):
            _execute(f"VACUUM ANALYZE {_q(model._meta.db_table)}")
        say(f"vacuum analyze: {time.perf_counter() - started:.1f} s")
    return counts


def _build(*, tenant: Tenant, partners: int, plan: list[Clone], counts: dict, say) -> None:
    partner_table = _q(Partner._meta.db_table)
    _execute(
        f"CREATE TEMPORARY TABLE bp_src AS SELECT id AS old_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS idx "
        f"FROM {partner_table} WHERE tenant_id = %s AND external_ref NOT LIKE %s",
        [tenant.pk, REF_PREFIX + "%"],
    )
    source_count = _scalar("SELECT COUNT(*) FROM bp_src")
    base = _scalar(f"SELECT COALESCE(MAX(id), 0) FROM {partner_table}")
    _execute(
        f"CREATE TEMPORARY TABLE {MAP.format(0)} AS "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
        "SELECT s.old_id AS old_id, n.i AS clone_no, %s + n.i AS new_id FROM n JOIN bp_src s ON s.idx = (n.i - 1) %% %s",
        [partners, base, source_count],
    )
    _execute(f"CREATE INDEX bp_map_0_old ON {MAP.format(0)} (old_id, clone_no)")
    _people(tenant=tenant, partners=partners)
    maps = {Partner: MAP.format(0)}
    for number, clone in enumerate(plan):
        started = time.perf_counter()
        if clone.model is not Partner and clone.needs_map:
            maps[clone.model] = _make_map(clone, maps, number + 1)
        rows = _copy(clone, maps)
        counts[clone.model._meta.label] = rows
        if clone.model is Partner:
            _memberships(tenant=tenant)
            counts[Membership._meta.label] = partners
        if rows:
            say(f"{clone.model._meta.label}: {rows} rows ({time.perf_counter() - started:.1f} s)")


def _people(*, tenant: Tenant, partners: int) -> None:
    """One administrator per bench partner, and which of the tenant's people are partners' people."""
    User = get_user_model()
    domain = bench_email_domain(tenant)
    password = make_password(None)  # unusable: the bench signs in by session
    batch = 5000
    for start in range(1, partners + 1, batch):
        User.objects.bulk_create(
            [
                User(
                    email=f"bench-{n}@{domain}",
                    first_name="Camille",
                    last_name=f"Banc {n}",
                    password=password,
                )
                for n in range(start, min(start + batch, partners + 1))
            ],
            ignore_conflicts=True,  # kept from an earlier build
        )
    _execute(
        f"CREATE TEMPORARY TABLE bp_users AS SELECT m.clone_no AS clone_no, u.id AS user_id "
        f"FROM {MAP.format(0)} m JOIN {_q(User._meta.db_table)} u "
        f"ON u.email = 'bench-' || CAST(m.clone_no AS TEXT) || %s",
        ["@" + domain],
    )
    _execute("CREATE INDEX bp_users_clone ON bp_users (clone_no)")
    _execute(
        f"CREATE TEMPORARY TABLE bp_people AS SELECT DISTINCT user_id FROM {_q(Membership._meta.db_table)} "
        "WHERE tenant_id = %s AND partner_id IN (SELECT old_id FROM bp_src)",
        [tenant.pk],
    )


def _memberships(*, tenant: Tenant) -> None:
    rows = _rows(
        f"SELECT u.user_id, m.new_id FROM bp_users u JOIN {MAP.format(0)} m ON m.clone_no = u.clone_no"
    )
    Membership.objects.bulk_create(
        [
            Membership(tenant=tenant, user_id=user_id, partner_id=partner_id, role=Membership.Role.ADMIN)
            for user_id, partner_id in rows
        ],
        batch_size=5000,
    )


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _make_map(clone: Clone, maps: dict, number: int) -> str:
    """(old id, clone number, new id) for every copy of the rows of ``clone``."""
    name = MAP.format(number)
    pk = _q(clone.model._meta.pk.column)
    parent = maps[clone.parent]
    driver = _q(clone.driver.column)
    if clone.model._meta.pk is clone.driver:  # a one-to-one on its parent: the same new id
        new_id = "p.new_id"
    else:
        base = _scalar(f"SELECT COALESCE(MAX({pk}), 0) FROM {_q(clone.table)}")
        new_id = f"{int(base)} + ROW_NUMBER() OVER (ORDER BY p.clone_no, s.{pk})"
    _execute(
        f"CREATE TEMPORARY TABLE {name} AS SELECT s.{pk} AS old_id, p.clone_no AS clone_no, {new_id} AS new_id "
        f"FROM {_q(clone.table)} s JOIN {parent} p ON s.{driver} = p.old_id"
    )
    _execute(f"CREATE INDEX {name}_old ON {name} (old_id, clone_no)")
    return name


def _copy(clone: Clone, maps: dict) -> int:
    """One INSERT … SELECT for every copy of every row of ``clone``."""
    opts = clone.model._meta
    User = get_user_model()
    pk = opts.pk
    overrides = {}
    if clone.model is Partner:
        clone_no = "CAST(m.clone_no AS TEXT)"
        overrides = {
            "external_ref": f"%s || {clone_no}",
            "legal_name": f"SUBSTR(s.legal_name, 1, 190) || ' ' || {clone_no}",
            "trade_name": f"CASE WHEN s.trade_name = '' THEN '' ELSE SUBSTR(s.trade_name, 1, 190) || ' ' || {clone_no} END",
        }
    suffixed = _unique_text_columns(clone, set(overrides))
    own_map = maps.get(clone.model) if clone.model is not Partner else None
    joins = []
    if clone.model is Partner:
        source = f"{MAP.format(0)} m JOIN {_q(clone.table)} s ON s.{_q(pk.column)} = m.old_id"
    elif own_map:
        source = (
            f"{own_map} m JOIN {_q(clone.table)} s ON s.{_q(pk.column)} = m.old_id "
            f"JOIN {maps[clone.parent]} p ON p.old_id = s.{_q(clone.driver.column)} AND p.clone_no = m.clone_no"
        )
    else:
        source = f"{_q(clone.table)} s JOIN {maps[clone.parent]} p ON p.old_id = s.{_q(clone.driver.column)}"
    clone_of_row = "m.clone_no" if clone.model is Partner or own_map else "p.clone_no"
    columns, exprs, params = [], [], []
    for f in opts.concrete_fields:
        column = _q(f.column)
        if f is pk and clone.driver is not None and pk is clone.driver:
            expr = "p.new_id"
        elif f is pk:
            if not own_map and clone.model is not Partner:
                continue  # nobody refers to these rows: the database numbers them
            expr = "m.new_id"
        elif clone.driver is not None and f.column == clone.driver.column:
            expr = "p.new_id"
        elif f.column in clone.mapped:
            alias = f"j{len(joins)}"
            joins.append(
                f"LEFT JOIN {maps[clone.mapped[f.column]]} {alias} "
                f"ON {alias}.old_id = s.{column} AND {alias}.clone_no = {clone_of_row}"
            )
            expr = f"COALESCE({alias}.new_id, s.{column})"
        elif f.is_relation and f.related_model is User:
            if not any("bp_users" in join for join in joins):
                joins.append(f"LEFT JOIN bp_users u ON u.clone_no = {clone_of_row}")
            expr = (
                f"CASE WHEN s.{column} IN (SELECT user_id FROM bp_people) THEN u.user_id ELSE s.{column} END"
            )
        elif f.name in overrides:
            expr = overrides[f.name]
            if "%s" in expr:
                params.append(REF_PREFIX)
        elif f.column in suffixed:
            suffix = f"'~' || CAST({clone_of_row} AS TEXT) || '.' || CAST(s.{_q(pk.column)} AS TEXT)"
            keep = (
                f"SUBSTR(s.{column}, 1, {f.max_length} - LENGTH({suffix}))" if f.max_length else f"s.{column}"
            )
            expr = f"{keep} || {suffix}"
        else:
            expr = f"s.{column}"
        columns.append(column)
        exprs.append(expr)
    sql = (
        f"INSERT INTO {_q(clone.table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM {source} {' '.join(joins)}"
    )
    return _execute(sql, params)


def _drop_temporary(plan: list[Clone]) -> None:
    names = ["bp_src", "bp_users", "bp_people"] + [MAP.format(n) for n in range(len(plan) + 1)]
    for name in names:
        _execute(f"DROP TABLE IF EXISTS {name}")


def bench_tenant_drop(*, tenant: Tenant, plan: list[Clone] | None = None, say=lambda line: None) -> None:
    """Delete the tenant's bench partners and every row copied for them (their people are kept)."""
    plan = plan or clone_plan()
    partner_table = _q(Partner._meta.db_table)
    if not bench_partner_count(tenant=tenant):
        return
    started = time.perf_counter()
    with transaction.atomic():
        _execute(
            f"CREATE TEMPORARY TABLE bp_del_0 AS SELECT id FROM {partner_table} "
            "WHERE tenant_id = %s AND external_ref LIKE %s",
            [tenant.pk, REF_PREFIX + "%"],
        )
        doomed = {Partner: "bp_del_0"}
        try:
            for number, clone in enumerate(plan):
                if clone.model is Partner or not clone.needs_map:
                    continue  # only the rows that others hang off need their ids listed
                name = f"bp_del_{number + 1}"
                pk = _q(clone.model._meta.pk.column)
                _execute(
                    f"CREATE TEMPORARY TABLE {name} AS SELECT {pk} AS id FROM {_q(clone.table)} "
                    f"WHERE {_q(clone.driver.column)} IN (SELECT id FROM {doomed[clone.parent]})"
                )
                doomed[clone.model] = name
            _execute(
                f"DELETE FROM {_q(Membership._meta.db_table)} WHERE partner_id IN (SELECT id FROM bp_del_0)"
            )
            for clone in reversed(plan):  # children first
                if clone.model is Partner:
                    column, ids = _q(Partner._meta.pk.column), "bp_del_0"
                else:
                    column, ids = _q(clone.driver.column), doomed[clone.parent]
                _execute(f"DELETE FROM {_q(clone.table)} WHERE {column} IN (SELECT id FROM {ids})")
        finally:
            for name in doomed.values():
                _execute(f"DROP TABLE IF EXISTS {name}")
    say(f"previous bench partners deleted ({time.perf_counter() - started:.1f} s)")


def bench_manager_email(tenant: Tenant, number: int) -> str:
    return f"bench-manager-{number}@{bench_email_domain(tenant)}"


def bench_sign_ins(
    *, tenant: Tenant, partners: int, managers: int, password: str
) -> tuple[list[str], list[str]]:
    """People who sign in through the login form with ``password`` (``make load``): the administrators of
    the first ``partners`` bench partners, and ``managers`` managers of the tenant (``bench-manager-<n>``,
    made when missing, kept across rebuilds as the others are). Each gets a verified primary address, which
    allauth's mandatory verification asks for. Returns (partner people's e-mails, managers' e-mails).
    """
    from allauth.account.models import EmailAddress

    User = get_user_model()
    available = bench_partner_count(tenant=tenant)
    if available < partners:
        raise BenchDataError(f"{tenant.slug} has {available} bench partners, {partners} are needed")
    domain = bench_email_domain(tenant)
    partner_emails = [f"bench-{n}@{domain}" for n in range(1, partners + 1)]
    manager_emails = [bench_manager_email(tenant, n) for n in range(1, managers + 1)]
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(email=email, first_name="Claude", last_name=f"Revue {n}")
                for n, email in enumerate(manager_emails, 1)
            ],
            ignore_conflicts=True,
        )
        User.objects.filter(email__in=manager_emails).update(is_staff=True, is_active=True)
        emails = partner_emails + manager_emails
        users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
        missing = [email for email in partner_emails if email not in users]
        if missing:
            raise BenchDataError(f"no bench person {missing[0]}: rebuild the bench partners")
        User.objects.filter(pk__in=users.values()).update(password=make_password(password))
        Membership.objects.bulk_create(
            [
                Membership(tenant=tenant, user_id=users[email], role=Membership.Role.MANAGER)
                for email in manager_emails
            ],
            ignore_conflicts=True,
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user_id=users[email], email=email, verified=True, primary=True)
                for email in emails
            ],
            ignore_conflicts=True,
        )
    return partner_emails, manager_emails


def bench_tenant_ensure(
    *, tenant: Tenant, partners: int, rebuild: bool = False, say=lambda line: None
) -> int:
    """Bring the tenant to ``partners`` partners in all (its own and bench copies): the copies present are
    reused when their number is right (and not ``rebuild``), made again otherwise. Returns the copies' count."""
    own = Partner._base_manager.filter(tenant=tenant).exclude(external_ref__startswith=REF_PREFIX).count()
    wanted = max(partners - own, 0)
    present = bench_partner_count(tenant=tenant)
    if present == wanted and not rebuild:
        say(f"{own + present} partners in {tenant.slug}, {present} of them bench copies: reused")
        return present
    say(f"making {wanted} bench partners in {tenant.slug}, copies of its {own} own with all their rows")
    started = time.perf_counter()
    counts = bench_tenant_build(tenant=tenant, partners=wanted, say=say)
    say(f"data built in {time.perf_counter() - started:.1f} s: {sum(counts.values())} rows")
    return wanted
