"""Checking an uploaded piece of evidence by what it contains, not by what it is called."""

import os

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from partnerportal.uploads import (
    PDF_MAGIC,
    head_of,
    image_kind,
    image_reencode,
    max_bytes,
    pdf_check,
    size_check,
)

# The default of the setting UPLOAD_MAX_BYTES (the issue: "at most 10 MB"); max_bytes() reads the setting.
MAX_BYTES = 10 * 1024 * 1024


class SizeLimitUploadHandler(FileUploadHandler):
    """First of the request's upload handlers: stops reading the body once a file passes ``limit`` bytes,
    whatever the request said its length was, so that nothing past the limit reaches the disk. The view
    reads ``exceeded`` to say why the file is missing."""

    def __init__(self, request=None, *, limit: int | None = None):
        super().__init__(request)
        self.limit = max_bytes() if limit is None else limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the file


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG by its first bytes; None for anything else."""
    if head.startswith(PDF_MAGIC):
        return "application/pdf", ".pdf"
    kind = image_kind(head)
    return kind if kind and kind[0] != "image/webp" else None


def display_name(name: str) -> str:
    """The person's file name, only to show: no directories (either slash), no control characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(char for char in base if char.isprintable())
    return base[:200] or "document"


def evidence_check(upload: UploadedFile) -> tuple[str, str]:
    """Refuse what is too big or not a PDF/PNG/JPEG; return (content type, extension) of what is accepted."""
    size_check(upload, limit=max_bytes())
    kind = sniff(head_of(upload))
    if kind is None:
        raise ValidationError(
            _("This file is neither a PDF nor a PNG or JPEG image. Send the document as a PDF, or a scan."),
            code="bad_type",
        )
    return kind


def evidence_clean(upload: UploadedFile) -> UploadedFile:
    """What to store of an upload: a PDF checked by its structure, as sent; a scan (PNG, JPEG) decoded and
    encoded again, its pixels only. Refuses anything else, what is too big, and images of too many pixels.
    The person's file name is kept (only to show: ``display_name``); the bytes are the checked ones."""
    content_type, _extension = evidence_check(upload)
    if content_type == "application/pdf":
        pdf_check(upload)
        return upload
    body, content_type, _extension = image_reencode(upload, content_type=content_type)
    return SimpleUploadedFile(upload.name or "document", body, content_type=content_type)
