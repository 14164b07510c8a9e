"""Fixtures of the duties tests: a private storage of their own, and the Dstny ladder on both tenants."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tiers.conftest import dstny, programmes  # noqa: F401  (the tiers fixtures, reused)

PDF = b"%PDF-1.4\n% a tiny test document\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Evidence goes to a temporary directory, never to the repository's private folder."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.MEDIA_ROOT = tmp_path / "media"
    return root


@pytest.fixture(autouse=True)
def _eager_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def upload(content: bytes = PDF, name: str = "charte.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)
