"""Uploaded files judged by what they contain, never by their name or the browser's content type.

Images are decoded and re-encoded through Pillow, which keeps the pixels and drops everything else (an HTML
page hidden in a JPEG comment or after its end, EXIF with the author's GPS position); their dimensions are
read from the header and refused above ``UPLOAD_MAX_PIXELS`` before a pixel is decoded (a 20,000 × 20,000
PNG of a few kilobytes would take 1.6 GB). PDFs are checked by their header and trailer and refused when
they carry scripts or launch programs. SVGs (tenant logos only) are parsed and refused when they hold
anything active: scripts, event handlers, foreign HTML, outside references, entity declarations.
"""

import hashlib
import io
import re
import warnings
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Magic bytes → (content type, extension of the stored file).
PDF_MAGIC = b"%PDF-"
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
WEBP = "image/webp"
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", WEBP: "WEBP"}

# Names of a PDF's active content: JavaScript run on opening or on an action, a program launched.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch)(?![A-Za-z0-9])")
PDF_VERSION = re.compile(rb"%PDF-[12]\.\d")


def max_bytes() -> int:
    """The largest file accepted (``UPLOAD_MAX_BYTES``, 10 MB by default)."""
    return settings.UPLOAD_MAX_BYTES


def max_pixels() -> int:
    """The largest image accepted, in pixels (``UPLOAD_MAX_PIXELS``: 40 million, a page scanned at 600 dpi)."""
    return settings.UPLOAD_MAX_PIXELS


def size_check(upload, *, limit: int) -> None:
    if upload.size > limit:
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s."),
            code="too_big",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )


def head_of(upload, length: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(length)
    upload.seek(0)
    return head


def image_kind(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PNG, JPEG or WebP by its first bytes; None for anything else."""
    for magic, content_type, extension in IMAGE_SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP, ".webp"
    return None


def _unreadable() -> ValidationError:
    return ValidationError(
        _("This image cannot be read: it is damaged or not really an image. Save it again and send it."),
        code="bad_image",
    )


def image_reencode(
    upload, *, content_type: str, fit: tuple[int, int] | None = None
) -> tuple[bytes, str, str]:
    """The image's pixels saved afresh, as (bytes, content type, extension): a PNG stays a PNG, a JPEG a JPEG,
    a WebP becomes a PNG. Nothing of the original file but its pixels survives (no comments, no metadata, no
    bytes after the end). ``fit`` shrinks the image to fit that box (logos)."""
    limit = max_pixels()
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own MAX_IMAGE_PIXELS and raises past twice that: both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the format the first bytes announced; reads the header alone, so the size is known first.
            image = Image.open(upload, formats=[PIL_FORMATS[content_type]])
            width, height = image.size
            if width * height > limit:
                raise Image.DecompressionBombError
            image.load()
        return _encoded(image, content_type=content_type, fit=fit)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        millions = limit / 1_000_000
        raise ValidationError(
            _("This image is too large: at most %(limit)s million pixels (a page scanned at 600 dpi)."),
            code="too_many_pixels",
            params={"limit": number_format(int(millions) if millions.is_integer() else millions)},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _unreadable() from None
    finally:
        upload.seek(0)


def _encoded(image: Image.Image, *, content_type: str, fit: tuple[int, int] | None) -> tuple[bytes, str, str]:
    image = ImageOps.exif_transpose(image)  # the orientation lives in the EXIF, which is dropped below
    # Pillow writes back some of what it read (a JPEG's comment, an ICC profile): keep the pixels alone.
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    if fit is not None:
        image.thumbnail(fit)
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)
        return out.getvalue(), "image/jpeg", ".jpg"
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
    image.save(out, format="PNG", optimize=True)
    return out.getvalue(), "image/png", ".png"


def pdf_check(upload) -> None:
    """Refuse what starts like a PDF but is not one (no version, no trailer), or carries active content.

    Names hidden in compressed object streams escape the search: the file is still only ever served as an
    attachment, never shown in the portal's origin."""
    upload.seek(0)
    body = upload.read()
    upload.seek(0)
    if not PDF_VERSION.match(body) or b"%%EOF" not in body[-2048:]:
        raise ValidationError(
            _("This PDF is damaged or incomplete: save or print it as a PDF again and send it."),
            code="bad_pdf",
        )
    if PDF_ACTIVE.search(body):
        raise ValidationError(
            _(
                "This PDF contains scripts or starts programs, which the portal does not accept. "
                "Print it to a new PDF and send that one."
            ),
            code="active_pdf",
        )


# --- SVG (tenant logos) ---------------------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
SVG_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
CSS_OUTSIDE = re.compile(r"@import|url\(\s*['\"]?(?!#)", re.IGNORECASE)


def _svg_refused() -> ValidationError:
    return ValidationError(
        _(
            "This SVG contains scripts, event handlers, embedded HTML or references to other files, "
            "which a logo may not. Export it again as a plain drawing, or send a PNG."
        ),
        code="active_svg",
    )


def svg_check(body: bytes) -> None:
    """Refuse an SVG with anything active or outside itself; a plain drawing passes unchanged."""
    lowered = body.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _svg_refused()  # entities: the billion laughs, or a file read through an external entity
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise ValidationError(
            _("This SVG cannot be read: it is not well-formed XML."), code="bad_svg"
        ) from None
    if root.tag != f"{SVG_NS}svg":
        raise ValidationError(_("This file is not an SVG drawing."), code="bad_svg")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if (
            not isinstance(element.tag, str)
            or not element.tag.startswith(SVG_NS)
            or tag in SVG_FORBIDDEN_TAGS
        ):
            raise _svg_refused()  # a processing instruction, an element of another namespace (XHTML), a script
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                raise _svg_refused()
            if local == "href" and not value.strip().startswith("#"):
                raise _svg_refused()  # another file, a data: URL or javascript:
            if CSS_OUTSIDE.search(value) or "javascript:" in "".join(value.split()).lower():
                raise _svg_refused()  # fill="url(http://…)", style="@import …", <set to="javascript:…">
        if tag == "style" and CSS_OUTSIDE.search(element.text or ""):
            raise _svg_refused()


# --- tenant logos ---------------------------------------------------------------------------------------

LOGO_BOX = (1200, 1200)  # the largest a logo is kept: it shows at 26–34 px high, 13 mm on a diploma


def logo_kind(head: bytes) -> str | None:
    """The content type of a PNG, JPEG, WebP or SVG logo by its first bytes; None for anything else."""
    kind = image_kind(head)
    if kind is not None:
        return kind[0]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")):
        return "image/svg+xml"
    return None


def _not_a_logo() -> ValidationError:
    return ValidationError(
        _("A logo is an SVG, PNG, JPEG or WebP image; this file is none of them."), code="bad_type"
    )


def logo_check(upload) -> str:
    """Refuse a logo that is too big, not an image, of too many pixels or an SVG with active content; the
    content type of one that passes. Reads the header of images, not their pixels."""
    limit = settings.LOGO_MAX_BYTES
    size_check(upload, limit=limit)
    content_type = logo_kind(head_of(upload, 512))
    if content_type is None:
        raise _not_a_logo()
    if content_type == "image/svg+xml":
        upload.seek(0)
        svg_check(upload.read())
        upload.seek(0)
    return content_type


def logo_clean(upload) -> tuple[bytes, str]:
    """A logo as it is stored: (bytes, file name). An SVG is kept as sent once checked (``svg_check``); an
    image is encoded again (``image_reencode``), shrunk to ``LOGO_BOX``. The name is made of the content's
    hash, ``logo-<hash>.<ext>``: the person's file name is never used, and the logo's URL changes with it
    (the logo view lets browsers keep it a year)."""
    content_type = logo_check(upload)
    if content_type == "image/svg+xml":
        upload.seek(0)
        body, extension = upload.read(), ".svg"
        upload.seek(0)
    else:
        body, _type, extension = image_reencode(upload, content_type=content_type, fit=LOGO_BOX)
    return body, f"logo-{hashlib.sha256(body).hexdigest()[:16]}{extension}"
