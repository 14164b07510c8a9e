"""The default storage of the documents: a folder under ``PRIVATE_MEDIA_ROOT`` that no URL serves."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateDocumentStorage(FileSystemStorage):
    """``<PRIVATE_MEDIA_ROOT>/documents``, read at each call so that tests can point it elsewhere."""

    @property
    def base_location(self):
        root = (
            getattr(settings, "PRIVATE_MEDIA_ROOT", None)
            or Path(settings.MEDIA_ROOT).resolve().parent / "private"
        )
        return os.fspath(Path(root) / "documents")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Documents have no URL: they are served through a permission-checked view.")
