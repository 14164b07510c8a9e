"""One regrade at a time per tenant, released even when the process running it is killed.

On PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``), which the server drops with the
connection of a killed process. On SQLite (the demo and tests): an exclusive ``flock`` on a lock file,
which the kernel drops with the process.
"""

import fcntl
import hashlib
import os
import tempfile
from contextlib import contextmanager

from django.db import connection
from django.utils.translation import gettext as _

# First key of the advisory lock pair: "regrade" for this application; the second is the tenant id.
ADVISORY_NAMESPACE = 0x7E9_0001


class RegradeInProgress(Exception):
    pass


def _message(tenant) -> str:
    return _("A regrade of %(tenant)s is already running; wait for it to finish and run this again.") % {
        "tenant": tenant.slug
    }


@contextmanager
def regrade_lock(tenant):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, tenant.pk])
            if not cursor.fetchone()[0]:
                raise RegradeInProgress(_message(tenant))
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, tenant.pk])
        return
    with open(lock_file_path(tenant), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RegradeInProgress(_message(tenant)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_file_path(tenant) -> str:
    """SQLite's lock: a file per database and tenant, locked with flock (across processes)."""
    database = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db():
        database += f"#{os.getpid()}"  # an in-memory database is this process's own (parallel test workers)
    digest = hashlib.sha1(database.encode()).hexdigest()[:12]
    return os.path.join(tempfile.gettempdir(), f"partnerportal-regrade-{digest}-{tenant.pk}.lock")
