"""Hostile files, built small: a bomb is a few kilobytes that would decode to gigabytes."""

import io
import struct
import zlib

from PIL import Image

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 118
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SCRIPT = b"<script"


def image(format: str = "PNG", size=(40, 20), colour="#e4007c") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=format)
    return out.getvalue()


def html_jpeg_polyglot() -> bytes:
    """A JPEG that browsers sniffing for HTML would run: the page in a comment segment, and after the end."""
    jpeg = image("JPEG")
    comment = b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML
    return jpeg[:2] + comment + jpeg[2:] + HTML


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real, complete 1-bit PNG of ``width`` × ``height`` white pixels: about 50 KB on disk, 400 million
    pixels (Pillow would hold 50 MB in mode "1", 400 MB once converted)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PLAIN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 48" width="120" height="48" role="img" '
    b'aria-label="Alpha"><title>Alpha</title><defs><linearGradient id="g"><stop offset="0" '
    b'stop-color="#e4007c"/></linearGradient></defs><rect width="120" height="48" fill="url(#g)"/>'
    b'<text x="8" y="36" font-size="36"><tspan fill="#2b1a64">Alpha</tspan></text></svg>'
)

_NS = b'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
HOSTILE_SVGS = {
    "script": b"<svg " + _NS + b"><script>alert(1)</script><rect width='1' height='1'/></svg>",
    "onload": b"<svg " + _NS + b' onload="alert(1)"><rect width="1" height="1"/></svg>',
    "handler on a child": b"<svg " + _NS + b'><rect width="1" height="1" onmouseover="alert(1)"/></svg>',
    "foreignObject": b"<svg " + _NS + b"><foreignObject><body xmlns='http://www.w3.org/1999/xhtml'>"
    b"<iframe src='javascript:alert(1)'/></body></foreignObject></svg>",
    "javascript link": b"<svg " + _NS + b'><a href="javascript:alert(1)"><text>x</text></a></svg>',
    "xlink outside": b"<svg " + _NS + b'><image xlink:href="http://169.254.169.254/" width="9"/></svg>',
    "set to javascript": b"<svg " + _NS + b'><a><set attributeName="href" to="javascript:alert(1)"/>'
    b"<text>x</text></a></svg>",
    "css import": b"<svg " + _NS + b"><style>@import url(http://evil.test/x.css);</style></svg>",
    "fill outside": b"<svg " + _NS + b'><rect width="1" height="1" fill="url(http://evil.test/#g)"/></svg>',
    "entities": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
    b"<svg " + _NS + b"><text>&b;</text></svg>",
    "html in svg clothing": b"<svg " + _NS + b"><html xmlns='http://www.w3.org/1999/xhtml'>"
    b"<script>alert(1)</script></html></svg>",
    "not well-formed": b"<svg " + _NS + b"><rect></svg>",
}
