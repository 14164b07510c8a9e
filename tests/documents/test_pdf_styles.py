"""How the PDFs are styled (partnerportal/pdf.py): each document's stylesheet parsed once per process and
applied above the documents' own, shorter user-agent stylesheet (pdf_assets/ua.css)."""

import io
import re
from pathlib import Path

import pytest
import segno
import weasyprint
import weasyprint.svg
from pypdf import PdfReader

from partnerportal import pdf
from tests.documents.factories import pdf_text

ROOT = Path(__file__).resolve().parents[2]
PDF_TEMPLATES = sorted(
    [
        *(ROOT / "documents/templates/documents/pdf").glob("*.html"),
        *(ROOT / "promos/templates/promos/pdf").glob("*.html"),
    ]
)
# Elements that need no user-agent rule: inline and replaced by default. The QR code is inline SVG (a path).
INLINE_BY_DEFAULT = {"span", "img", "svg", "path"}


def ua_selectors_tags() -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", (pdf.ASSETS_DIR / "ua.css").read_text(), flags=re.S)
    tags = set()
    for selectors in re.findall(r"([^{}]+)\{", css):
        for selector in selectors.split(","):
            tags.update(re.findall(r"(?:^|[\s>+~])([a-z][a-z0-9]*)", " " + selector.strip()))
    return tags


def test_every_element_of_the_pdf_templates_has_its_user_agent_rules():
    assert len(PDF_TEMPLATES) == 3  # diploma, pack, quote
    used = {
        tag for template in PDF_TEMPLATES for tag in re.findall(r"<([a-z][a-z0-9]*)\b", template.read_text())
    }
    missing = used - ua_selectors_tags() - INLINE_BY_DEFAULT
    assert not missing, f"add WeasyPrint's rules for {sorted(missing)} to partnerportal/pdf_assets/ua.css"


def test_weasyprint_still_takes_its_defaults_from_the_hook_the_documents_replace():
    # DocumentHTML overrides HTML._ua_stylesheets: if an upgrade renames it, this fails instead of the
    # documents silently falling back to the long stylesheet (slower) or losing their defaults.
    assert "_ua_stylesheets" in vars(weasyprint.HTML)
    reader = PdfReader(io.BytesIO(pdf.render_pdf("<h2>Chapter</h2><p>Text<br>next line</p>")))
    assert [item.title for item in reader.outline] == ["Chapter"]  # h2 { bookmark-level } from ua.css
    assert "Text\nnext line" in reader.pages[0].extract_text()


def test_a_documents_stylesheet_is_parsed_once_and_wins_over_the_defaults():
    pdf.stylesheet.cache_clear()
    css = ".hidden { display: none } p { margin: 0 }"

    first = pdf.render_pdf('<p>Shown</p><p class="hidden">Hidden</p>', css=css)
    second = pdf.render_pdf('<p class="hidden">Other</p><p>Also shown</p>', css=css)
    pdf.render_pdf("<p>Plain</p>", css="p { color: #123456 }")

    assert (pdf_text(first), pdf_text(second)) == ("Shown", "Also shown")
    info = pdf.stylesheet.cache_info()
    assert (info.misses, info.hits) == (2, 1)


PATHS = [
    # segno's QR code: a move and a horizontal line per run of modules
    segno.make_qr("https://dstny.example/verify/8c6Zs_J9YPQMDV26OARgJ4", error="m", mask=2).svg_inline(
        scale=4, border=0, omitsize=True
    ),
    '<svg viewBox="0 0 20 20"><path d="M1 1H19V19H1V1m2 2h4v4h-4v-4M10.5.5v3.25" stroke="#000"/></svg>',
    # WeasyPrint's own: a curve, a close, a move with implicit lines, a marker, an exponent, commas
    '<svg viewBox="0 0 20 20"><path d="M1 1C5 5 10 5 19 1Z" stroke="#000"/></svg>',
    '<svg viewBox="0 0 20 20"><path d="M1 1 5 5 9 1" stroke="#000"/></svg>',
    '<svg viewBox="0 0 20 20"><defs><marker id="m" markerWidth="2" markerHeight="2"><path d="M0 0h2v2"/>'
    '</marker></defs><path d="M1 1h10v10" stroke="#000" marker-end="url(#m)"/></svg>',
    '<svg viewBox="0 0 20 20"><path d="M1e1 1h5,2" stroke="#000"/></svg>',
]


@pytest.mark.parametrize("svg", PATHS)
def test_plain_svg_paths_are_drawn_as_weasyprint_draws_them(svg, monkeypatch):
    css = "svg { width: 40mm; height: 40mm }"
    ours = pdf.render_pdf(f"<div>{svg}</div>", css=css)
    monkeypatch.setitem(weasyprint.svg.TAGS, "path", pdf._weasyprint_path)
    theirs = pdf.render_pdf(f"<div>{svg}</div>", css=css)

    def drawing(data: bytes) -> bytes:
        return PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data()

    assert pdf._draw_path is not pdf._weasyprint_path
    assert drawing(ours) == drawing(theirs) and len(drawing(ours)) > 200
