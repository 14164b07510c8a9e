"""The drill's planted fault: a documents storage that fails while a fault file says so.

Only ``make drill`` names it (documents/drill.py) (``DOCUMENTS_STORAGE_BACKEND``); production code has no switch for it. The
file ``DRILL_STORAGE_FAULT`` holds how many writes are still to fail; each write, failed or not, appends
its time to ``<that file>.attempts`` so that the drill sees the task's retries and their spacing.
"""

import fcntl
import os
import time

from documents.storage import PrivateDocumentStorage


class FlakyDocumentStorage(PrivateDocumentStorage):
    def _save(self, name, content):
        fault = os.environ.get("DRILL_STORAGE_FAULT")
        if fault:
            with open(f"{fault}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                with open(f"{fault}.attempts", "a") as attempts:
                    attempts.write(f"{time.time()}\n")
                try:
                    with open(fault) as handle:
                        left = int(handle.read().strip() or 0)
                except FileNotFoundError:
                    left = 0
                if left > 0:
                    with open(fault, "w") as handle:
                        handle.write(str(left - 1))
                    raise OSError(f"drill: the documents storage is down ({left} failure(s) to go)")
        return super()._save(name, content)
