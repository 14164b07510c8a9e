"""The audit trail (django-simple-history), scoped per tenant like the rows it records.

simple-history reads its records through two doors: ``Model.history`` (a HistoryManager, used by the admin's
history list) and the historical model's default manager (``get_object_or_404`` of the admin's page of
one record). Out of the box both see every tenant: the history page of a partner of tenant B, asked for on
A's back-office, would fall back to B's records. Here both go through the tenant scope, the same way the
models' ScopedManagers do, so a manager of A never reads B's history whatever view asks.

The user is recorded by ``simple_history.middleware.HistoryRequestMiddleware`` for saves in views and in
the admin; set-based writes record it themselves (tiers.writers).
"""

from django.db import connection, models
from django.utils import timezone
from django_scopes import ScopedManager, get_scope
from django_scopes.exceptions import ScopeError
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords


class ScopedHistoryManager(HistoryManager):
    """``Model.history`` as django-scopes' ScopedManager reads the models (simple-history needs its own
    queryset class, so the manager cannot be one): limited to the open tenant scope, everything under
    scopes_disabled(), and refused with no scope open."""

    def get_super_queryset(self):
        queryset = super().get_super_queryset()
        state = get_scope()
        if not state.get("_enabled", True):  # scopes_disabled(): the platform superuser, commands
            return queryset
        if not state.get("tenant"):
            raise ScopeError("A scope on dimension(s) tenant needs to be active for this query.")
        return queryset.filter(tenant_id=state["tenant"])


class TenantHistoricalModel(models.Model):
    """The base of every historical model: its default manager is scoped like the recorded model's."""

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class TenantHistoricalRecords(HistoricalRecords):
    def post_save(self, instance, created, using=None, **kwargs):
        # The record copies every field: an instance loaded with only() would read each missing one in a
        # query of its own, so they are read together first.
        deferred = instance.get_deferred_fields()
        if deferred and not kwargs.get("raw", False):
            instance.refresh_from_db(fields=list(deferred), using=using)
        super().post_save(instance, created, using=using, **kwargs)


def tenant_history(**options) -> HistoricalRecords:
    """``HistoricalRecords`` for a model with a ``tenant`` foreign key, its records scoped by it."""
    return TenantHistoricalRecords(
        bases=[TenantHistoricalModel], history_manager=ScopedHistoryManager, **options
    )


def history_record_update(*, model: type[models.Model], ids: list[int], by=None) -> None:
    """History records ("changed", by ``by``) of the rows ``ids`` after a set-based ``update()``, which
    sends no signal: one INSERT … SELECT of the rows as they now are, whatever their number (in batches of
    500 ids)."""
    history = model.history.model
    fields = [field.name for field in history.tracked_fields]
    target = [history._meta.get_field(name).column for name in fields]
    source = [model._meta.get_field(name).column for name in fields]
    ops = connection.ops
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {history._meta.db_table} ({', '.join(target)}, history_date, "
                "history_change_reason, history_type, history_user_id) "
                f"SELECT {', '.join(source)}, %s, %s, '~', %s FROM {model._meta.db_table} "
                f"WHERE {model._meta.pk.column} IN ({', '.join(['%s'] * len(batch))})",
                [
                    ops.adapt_datetimefield_value(timezone.now()),
                    None,
                    by.pk if by else None,
                    *batch,
                ],
            )
