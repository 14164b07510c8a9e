"""The PDFs read nothing but the app's fonts and the tenant's logo (partnerportal/pdf.py), whatever the text.

Hostile partner names and a hostile SVG logo go through the real templates and services; every way out
(urllib's handlers, sockets) fails the test loudly if it is ever taken, and a spy on the fetcher records
what WeasyPrint asked for and what it was refused.
"""

import io
import socket
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django_scopes import scopes_disabled
from pypdf import PdfReader

from documents import services
from documents.models import Document
from partnerportal import pdf
from partnerportal.pdf import Asset, AssetFetcher, AssetRefused, font_assets, render_pdf
from tests.documents.factories import documents_of, pdf_of, pdf_text
from tests.partnerportal.factories import PartnerFactory

IMG_NAME = '<img src="file:///etc/passwd">'
LINK_NAME = '<link rel=attachment href="file:///proc/self/environ"> @import url(http://169.254.169.254/)'
LOGO_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
  width="240" height="60" viewBox="0 0 240 60">
  <image href="http://127.0.0.1:1/" width="60" height="60"/>
  <image xlink:href="file:///etc/passwd" x="60" width="60" height="60"/>
  <image href="pdf-asset:../settings.py" x="120" width="60" height="60"/>
  <text x="180" y="40" font-size="20">Logo</text>
</svg>"""


class Loud(BaseException):
    """Not an Exception: WeasyPrint turns a fetcher's Exception into a warning, this stops the test."""


@pytest.fixture(autouse=True)
def no_way_out(monkeypatch):
    """Fail loudly if anything opens a URL, a local file through urllib, or a socket."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise Loud(f"something tried to get out: {args!r}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "_open", refuse)
    monkeypatch.setattr(urllib.request.FileHandler, "file_open", refuse)
    monkeypatch.setattr(urllib.request.FileHandler, "open_local_file", refuse)
    monkeypatch.setattr(urllib.request.DataHandler, "data_open", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield
    assert attempts == []


@pytest.fixture
def asked(monkeypatch) -> list[tuple[str, bool]]:
    """What WeasyPrint asked the fetcher for, and whether it was served: (url, served)."""
    calls: list[tuple[str, bool]] = []

    class Spy(AssetFetcher):
        def fetch(self, url, headers=None):
            try:
                response = super().fetch(url, headers)
            except AssetRefused:
                calls.append((url, False))
                raise
            calls.append((url, True))
            return response

    monkeypatch.setattr(pdf, "AssetFetcher", Spy)
    return calls


@pytest.fixture
def hostile_logo(programme):
    tenant = programme.tenant
    tenant.logo.save("logo.svg", ContentFile(LOGO_SVG), save=True)
    return tenant


def refused(asked) -> set[str]:
    return {url for url, served in asked if not served}


@pytest.mark.parametrize("name", [IMG_NAME, LINK_NAME])
@pytest.mark.parametrize("kind", [Document.Kind.DIPLOMA, Document.Kind.WELCOME_PACK])
def test_hostile_names_and_logo_stay_text_and_nothing_is_fetched(
    programme, hostile_logo, asked, caplog, name, kind
):
    partner = PartnerFactory(tenant=programme.tenant, partner_type=programme.ambassador, legal_name=name)
    tier = programme.tiers["business"]

    with scopes_disabled():
        document = services.document_issue(partner=partner, kind=kind, tier=tier, notify=False)
    data = pdf_of(document)

    # Printed as the text it is, never read as markup (compared without spaces: a line may wrap in a URL).
    assert "".join(name.split()) in "".join(pdf_text(data).split())
    assert PdfReader(io.BytesIO(data)).attachments == {}
    # The logo was asked for and served; what it points at was asked for and refused, and logged.
    assert ("pdf-asset:logo", True) in asked
    assert refused(asked) == {"http://127.0.0.1:1/", "file:///etc/passwd", "pdf-asset:../settings.py"}
    assert "PDF rendering refused to fetch 'http://127.0.0.1:1/'" in caplog.text
    # The name's URLs never reached the fetcher: escaped, they are text, not links.
    assert not {url for url, _ in asked} & {"file:///proc/self/environ", "http://169.254.169.254/"}
    assert {url for url, served in asked if served} <= {"pdf-asset:logo"} | {
        f"pdf-asset:{name}" for name in font_assets()
    }


def test_markup_that_escaped_a_template_would_still_fetch_nothing(asked):
    """Defence in depth: were a template to print partner text unescaped, the fetcher would still refuse."""
    html = f"""<!DOCTYPE html><html><head>
      <link rel="attachment" href="file:///proc/self/environ" title="env">
      <style>@import url(http://169.254.169.254/); body {{ background: url(file:///etc/passwd) }}</style>
      <link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">
    </head><body><p>Hello</p>{IMG_NAME}<img src="data:image/png;base64,iVBORw0KGgo=">
      <a rel="attachment" href="file:///etc/hostname">x</a><iframe src="http://127.0.0.1:1/"></iframe>
    </body></html>"""

    data = render_pdf(html)

    reader = PdfReader(io.BytesIO(data))
    assert reader.attachments == {}
    assert "Hello" in pdf_text(data)
    assert {"file:///proc/self/environ", "http://169.254.169.254/", "file:///etc/passwd"} <= refused(asked)
    assert all(not served for url, served in asked if not url.startswith("pdf-asset:fonts/"))


def test_a_logo_that_includes_itself_renders_once(programme, asked):
    tenant = programme.tenant
    tenant.logo.save(
        "logo.svg",
        ContentFile(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="pdf-asset:logo"/></svg>'
        ),
        save=True,
    )
    partner = PartnerFactory(tenant=tenant, partner_type=programme.ambassador)

    with scopes_disabled():
        document = services.document_issue(
            partner=partner, kind=Document.Kind.DIPLOMA, tier=programme.tiers["premium"], notify=False
        )

    assert documents_of(partner) == [document]


# --- AssetFetcher ------------------------------------------------------------------------------------

LOGO = Asset(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "/etc/passwd",
        "../../etc/passwd",
        "http://127.0.0.1:1/",
        "https://example.com/logo.svg",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/logo.svg",
        "data:image/svg+xml;base64,PHN2Zy8+",
        "pdf-asset:../x",
        "pdf-asset:fonts/../../etc/passwd",
        "pdf-asset:fonts/../logo",
        "pdf-asset:/etc/passwd",
        "pdf-asset:unknown",
        "pdf-asset:",
        "PDF-ASSET:logo",
        "pdf-asset:logo/",
        "pdf-asset:logo?x=1",
        " pdf-asset:logo",
    ],
)
def test_the_fetcher_refuses_everything_but_its_assets(url, caplog):
    fetcher = AssetFetcher({"logo": LOGO})

    with pytest.raises(AssetRefused):
        fetcher.fetch(url)
    with pytest.raises(AssetRefused):
        fetcher(url)  # how WeasyPrint calls it
    with pytest.raises(AssetRefused):
        fetcher.open(urllib.request.Request("http://127.0.0.1:1/") if url.startswith("http") else url)
    assert "PDF rendering refused to fetch" in caplog.text


def test_the_fetcher_serves_its_assets_and_follows_no_redirect():
    fetcher = AssetFetcher({"logo": LOGO, **font_assets()})

    logo = fetcher.fetch("pdf-asset:logo")
    font = fetcher("pdf-asset:fonts/LiberationSans-Regular.ttf")

    assert (logo.read(), logo.content_type, logo.url) == (LOGO.body, "image/svg+xml", "pdf-asset:logo")
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    # Not even urllib's own machinery is left: no handler for any scheme, so no redirect to follow.
    assert fetcher.handlers == [] and fetcher.handle_open == {}


def test_a_refused_url_during_a_rendering_is_only_a_warning(caplog, asked):
    data = render_pdf('<p>Logo: <img src="https://example.com/logo.png" alt="Vendor"></p>')

    assert "Logo:" in pdf_text(data)
    assert refused(asked) == {"https://example.com/logo.png"}
    assert "PDF rendering refused to fetch 'https://example.com/logo.png'" in caplog.text


def test_many_documents_render_in_parallel_in_order_with_the_same_fetcher():
    sources = [
        pdf.PdfSource(
            f'<p>Document {i}</p><img src="file:///etc/passwd"><img src="pdf-asset:logo">',
            assets={"logo": LOGO},
        )
        for i in range(5)
    ]

    pdfs = pdf.render_pdfs(sources, processes=2)

    assert [pdf_text(data) for data in pdfs] == [f"Document {i}" for i in range(5)]
    assert all(PdfReader(io.BytesIO(data)).attachments == {} for data in pdfs)
    assert pdf_text(pdf.render_pdfs(sources[:1], processes=4)[0]) == "Document 0"  # one: rendered here
