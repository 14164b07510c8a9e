"""Where duty evidence is stored: a private file storage, outside MEDIA_ROOT and with no URL.

Evidence (signed charters, contracts, certificates) is personal and commercial data: it is only ever
served by ``DocumentDownloadView`` after a permission check, never by the web server or the media URL.
The root is ``settings.PRIVATE_MEDIA_ROOT`` when set, else a ``private`` folder beside MEDIA_ROOT
(``BASE_DIR / "private"`` by default); it is read at each call, so that tests can point it elsewhere.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> str:
    root = getattr(settings, "PRIVATE_MEDIA_ROOT", None)
    return os.fspath(root or Path(settings.MEDIA_ROOT).resolve().parent / "private")


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage whose files have no public URL."""

    @property
    def base_location(self):
        return private_root()

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL: serve them through a permission-checked view.")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The storage of the evidence FileField (a callable, so that migrations do not freeze a path)."""
    return _storage
