"""PDF rendering with WeasyPrint that can read nothing but what the app hands it.

WeasyPrint's default URL fetcher opens ``file://`` paths and any host: a ``<link rel="attachment"
href="file:///etc/passwd">`` in a rendered page embeds that file in the PDF, and an SVG logo can make the
server call ``http://169.254.169.254/``. Here every document is rendered with an ``AssetFetcher`` that
serves a fixed set of named assets, ``pdf-asset:<name>`` (the fonts shipped in ``pdf_assets/fonts``, the
tenant's logo, read from storage by ``logo_asset``), and refuses every other URL: no file, no host, no
redirect, no relative path to resolve (``base_url`` is None). Partner text reaches the templates through
Django's autoescaping like any page.

The fonts are shipped with the app (Liberation Sans and Serif, see ``pdf_assets/fonts/LICENSE-Liberation.txt``)
so that documents look the same on every host, and WeasyPrint subsets them with HarfBuzz when the OS has
``libharfbuzz-subset0`` (the Makefile's check and ``.ci/run`` install it).
"""

import functools
import logging
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib import request

import weasyprint
import weasyprint.svg
from django.core.files.storage import default_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent / "pdf_assets"
SCHEME = "pdf-asset:"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


class AssetRefused(ValueError):
    pass


class AssetFetcher(URLFetcher):
    """Serves ``pdf-asset:<name>`` from ``assets`` and refuses everything else."""

    def __init__(self, assets: dict[str, Asset]):
        # An OpenerDirector with no handler at all: URLFetcher.__init__ would install urllib's (file, http,
        # ftp, data, redirects), which fetch() never uses, and a path around it (OpenerDirector.open) would
        # find them; without them no scheme opens. (Building and dropping them cost a millisecond a document.)
        request.OpenerDirector.__init__(self)
        self._timeout, self._http_headers, self._request = 1, {}, None
        self._allowed_protocols, self._fail_on_errors = (), False
        self._assets = assets

    def fetch(self, url, headers=None):
        name = url[len(SCHEME) :] if url.startswith(SCHEME) else None
        asset = self._assets.get(name) if name is not None else None
        if asset is None:
            logger.warning("PDF rendering refused to fetch %r", url[:200])
            raise AssetRefused(f"not an asset of this document: {url[:200]}")
        return URLFetcherResponse(url, asset.body, {"Content-Type": asset.content_type})

    def open(self, url, data=None, timeout=None):  # urllib's entry point: the same refusal
        return self.fetch(url if isinstance(url, str) else url.full_url)


FONT_FACES = (
    # (family, file, weight, style)
    ("Liberation Sans", "LiberationSans-Regular.ttf", 400, "normal"),
    ("Liberation Sans", "LiberationSans-Bold.ttf", 700, "normal"),
    ("Liberation Sans", "LiberationSans-Italic.ttf", 400, "italic"),
    ("Liberation Serif", "LiberationSerif-Regular.ttf", 400, "normal"),
    ("Liberation Serif", "LiberationSerif-Bold.ttf", 700, "normal"),
    ("Liberation Serif", "LiberationSerif-Italic.ttf", 400, "italic"),
)


@functools.cache
def font_assets() -> dict[str, Asset]:
    return {
        f"fonts/{file}": Asset((ASSETS_DIR / "fonts" / file).read_bytes(), "font/ttf")
        for _, file, _, _ in FONT_FACES
    }


@functools.cache
def font_css() -> str:
    """``@font-face`` rules for the shipped fonts; documents name them ``font-family: "Liberation Sans"``."""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{SCHEME}fonts/{file}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for family, file, weight, style in FONT_FACES
    )


@functools.cache
def _font_config():
    # One FontConfiguration for the process: WeasyPrint caches the fonts' faces in it, which saves the
    # reading and parsing of the fonts at every document (most of a one-page diploma's time otherwise).
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# -- what documents take from their tenant ---------------------------------------------------------------

LOGO_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
SVG_TEXT_LENGTH = re.compile(rb"""\s(?:textLength|lengthAdjust)=(?:"[^"]*"|'[^']*')""")
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def logo_asset(tenant) -> dict[str, Asset]:
    """``{"logo": Asset}`` from the tenant's uploaded logo, or nothing (the documents then print its name).

    The bytes are read here from storage and handed to the renderer, which fetches nothing itself: an SVG
    logo that points elsewhere (``<image href="http://…">``) gets nothing.
    """
    if not tenant.logo:
        return {}
    content_type = LOGO_TYPES.get(tenant.logo.name.rsplit(".", 1)[-1].lower())
    if content_type is None:
        return {}
    try:
        with default_storage.open(tenant.logo.name, "rb") as handle:
            body = handle.read(2_000_000)
    except OSError:
        return {}
    if content_type == "image/svg+xml":
        # WeasyPrint 70 squeezes every <tspan> after the first to nothing when its <text> has a textLength
        # (the demo's wordmarks lost their "IP" and their dot): drawn at the font's own width instead.
        body = SVG_TEXT_LENGTH.sub(b"", body)
    return {"logo": Asset(body, content_type)}


def css_colour(value: str, default: str) -> str:
    """``value`` when it is a #RRGGBB colour, else ``default``.

    Colours are the only settings that go into a document's stylesheet (partner text never does). The models
    validate them; this keeps a row written around the validators from writing CSS.
    """
    return value if HEX_COLOUR.fullmatch(value or "") else default


# -- plain SVG paths, drawn without WeasyPrint's general parser ------------------------------------------
#
# A diploma's QR code is one SVG path of some 500 commands ("M0 0.5h7m4 0h2…": a move and a horizontal line
# per run of dark modules). WeasyPrint's path parser handles every SVG form (arcs, curves, units) with a few
# regular expressions and string slices per command, and records each vertex for markers: a fifth of a
# diploma's time went there. Paths made only of moves and horizontal and vertical lines in plain numbers,
# with no marker, are drawn here with the very same PDF operators; every other path goes to WeasyPrint.
# ``tests/documents/test_pdf_styles.py`` checks that both draw the same content stream.

_PLAIN_PATH = re.compile(r"[MmHhVv0-9.\s-]*")
_PATH_COMMAND = re.compile(r"([MmHhVv])([^MmHhVv]*)")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_MARKERS = ("marker", "marker-start", "marker-mid", "marker-end")
_weasyprint_path = weasyprint.svg.TAGS["path"]


def _pdf_number(value: float) -> str:
    """A float as pydyf writes it in a content stream (``pydyf._to_bytes``)."""
    return str(int(value)) if value.is_integer() else f"{value:f}".rstrip("0")


def _draw_path(svg, node, font_size):
    d = node.get("d", "")
    if not _PLAIN_PATH.fullmatch(d) or any(name in node.attrib for name in _MARKERS):
        return _weasyprint_path(svg, node, font_size)
    commands = [
        (letter, [float(n) for n in _NUMBER.findall(args)]) for letter, args in _PATH_COMMAND.findall(d)
    ]
    if any(letter in "Mm" and len(numbers) != 2 for letter, numbers in commands):
        return _weasyprint_path(svg, node, font_size)  # a move with implicit lines after it
    # The operators pydyf's move_to and line_to would append, built here in one pass.
    x, y, operators = 0.0, 0.0, [b"0 0 m"]  # WeasyPrint moves to the origin before any path
    for letter, numbers in commands:
        if letter in "Mm":
            dx, dy = numbers
            x, y = (x + dx, y + dy) if letter == "m" else (dx, dy)
            operators.append(f"{_pdf_number(x)} {_pdf_number(y)} m".encode())
        elif letter in "Hh":
            for n in numbers:
                x = x + n if letter == "h" else n
                operators.append(f"{_pdf_number(x)} {_pdf_number(y)} l".encode())
        else:
            for n in numbers:
                y = y + n if letter == "v" else n
                operators.append(f"{_pdf_number(x)} {_pdf_number(y)} l".encode())
    svg.stream.stream.extend(operators)


weasyprint.svg.TAGS["path"] = _draw_path


@functools.cache
def _ua_stylesheet() -> weasyprint.CSS:
    return weasyprint.CSS(string=(ASSETS_DIR / "ua.css").read_text(), url_fetcher=AssetFetcher({}))


class DocumentHTML(weasyprint.HTML):
    """WeasyPrint's ``HTML`` with the documents' own, shorter user-agent stylesheet (``pdf_assets/ua.css``).

    ``_ua_stylesheets`` is how WeasyPrint's ``HTML`` hands over its defaults (``weasyprint~=70.0`` is pinned;
    ``tests/documents/test_pdf_styles.py`` fails if the hook goes away).
    """

    def _ua_stylesheets(self, forms=False):
        return [_ua_stylesheet()]


@functools.lru_cache(maxsize=64)
def stylesheet(css: str) -> weasyprint.CSS:
    """``css`` parsed once per process, after the fonts' ``@font-face`` rules, for ``render_pdf``.

    A document's stylesheet is a template of its own (``documents/pdf/diploma.css``) that varies only with
    the tenant's colours and the language, never with partner text; parsing it and compiling its selectors
    took a fifth of a diploma's time when WeasyPrint did it at every rendering from a ``<style>`` element.
    A parsed ``CSS`` is only read by the renderings that use it. Its fetcher serves the fonts alone.
    """
    return weasyprint.CSS(
        string=f"{font_css()}\n{css}", url_fetcher=AssetFetcher(font_assets()), font_config=_font_config()
    )


@dataclass(frozen=True)
class PdfSource:
    """What ``render_pdf`` needs for one document, built beforehand (no database in the rendering)."""

    html: str
    css: str = ""
    assets: dict[str, Asset] | None = None


def render_pdf(html: str, *, css: str = "", assets: dict[str, Asset] | None = None) -> bytes:
    """The PDF of ``html`` (a whole page rendered by a Django template) styled by ``css``, with the shipped
    fonts and ``assets``.

    ``css`` is the document's stylesheet (parsed once per process, see ``stylesheet``); it applies with the
    user origin, above WeasyPrint's defaults. ``assets`` maps names to bytes, e.g. ``{"logo": Asset(svg,
    "image/svg+xml")}`` for ``<img src="pdf-asset:logo">``. Nothing else can be read.
    """
    fetcher = AssetFetcher({**font_assets(), **(assets or {})})
    document = DocumentHTML(string=html, base_url=None, url_fetcher=fetcher)
    # Streams uncompressed: WeasyPrint's PDF writer deflates every stream at zlib's slowest level (9), an
    # eighth of a diploma's time; a diploma is then 55 kB instead of 25 kB, a pack about twice its size too.
    return document.write_pdf(
        stylesheets=[stylesheet(css)], font_config=_font_config(), attachments=[], uncompressed_pdf=True
    )


def render_source(source: PdfSource) -> bytes:
    return render_pdf(source.html, css=source.css, assets=source.assets)


def render_pdfs(sources: Sequence[PdfSource], *, processes: int = 1) -> list[bytes]:
    """The PDFs of many sources, in order, rendered by up to ``processes`` processes.

    Rendering is CPU-bound Python, so threads would not help; forked children get everything in the
    sources and read no database and no file. Where a process may not have children (a Celery prefork
    worker's are daemons), or for one document, it renders here, one after the other.
    """
    processes = min(processes, len(sources))
    if processes <= 1 or multiprocessing.current_process().daemon:
        return [render_source(source) for source in sources]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(render_source, sources))
