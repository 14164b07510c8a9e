"""Fixtures of the duties tests: a private storage of their own, and the Dstny ladder on both tenants."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.tiers.conftest import dstny, programmes  # noqa: F401  (the tiers fixtures, reused)

PDF = b"%PDF-1.4\n% a tiny test document\n%%EOF\n"


def _image(format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "#2b1a64").save(out, format=format)
    return out.getvalue()


# Real images: scans are decoded and encoded again on upload (partnerportal.uploads.image_reencode).
PNG = _image("PNG")
JPEG = _image("JPEG")


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
