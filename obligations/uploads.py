"""Checking an uploaded piece of evidence by what it contains, not by what it is called."""

import os

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024  # the issue: "at most 10 MB"

# Magic bytes → (content type, extension of the stored file).
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


class SizeLimitUploadHandler(FileUploadHandler):
    """First of the request's upload handlers: stops reading the body once a file passes ``limit`` bytes,
    whatever the request said its length was, so that nothing past the limit reaches the disk. The view
    reads ``exceeded`` to say why the file is missing."""

    def __init__(self, request=None, *, limit: int = MAX_BYTES):
        super().__init__(request)
        self.limit = limit
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
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def display_name(name: str) -> str:
    """The person's file name, only to show: no directories (either slash), no control characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(char for char in base if char.isprintable())
    return base[:200] or "document"


def evidence_check(upload: UploadedFile) -> tuple[str, str]:
    """Refuse what is too big or not a PDF/PNG/JPEG; return (content type, extension) of what is accepted."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s."),
            code="too_big",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_BYTES)},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError(
            _("This file is neither a PDF nor a PNG or JPEG image. Send the document as a PDF, or a scan."),
            code="bad_type",
        )
    return kind
