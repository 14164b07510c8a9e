"""Hostile evidence uploads: judged by their bytes, images encoded again, stored under generated names,
served as attachments that no browser renders or sniffs (issue 11, "Hostile input")."""

import io
import os
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from obligations.models import FulfilmentState
from tests.obligations.factories import DutyFulfilmentFactory
from tests.obligations.helpers import reload
from tests.security.hostile import ELF, HTML, MZ, PLAIN_SVG, SCRIPT, html_jpeg_polyglot, png_bomb

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def fulfilment(world):
    return DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte partenaire")


@pytest.fixture
def private_root(settings):
    return settings.PRIVATE_MEDIA_ROOT


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, names in os.walk(root) for f in names]


def send(client, fulfilment, content: bytes, name: str = "charte.pdf", content_type: str = "application/pdf"):
    url = reverse("obligations:fulfilment-upload", args=[fulfilment.pk])
    return client.post(url, {"document": SimpleUploadedFile(name, content, content_type=content_type)})


def refused_with(response, code: str) -> bool:
    form = response.context["form"]
    return response.status_code in (400, 413) and form.has_error("document", code=code)


def assert_nothing_kept(fulfilment, private_root):
    assert reload(fulfilment).state == FulfilmentState.TO_DO
    assert stored_files(private_root) == []


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (ELF, "contrat.pdf", "application/pdf"),
        (MZ, "contrat.pdf", "application/pdf"),
        (HTML, "contrat.pdf", "application/pdf"),
        (PLAIN_SVG, "scan.png", "image/png"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "logo.svg",
            "image/svg+xml",
        ),
        (b"GIF89a" + b"\x00" * 40, "scan.jpg", "image/jpeg"),
    ],
    ids=["elf", "mz", "html", "svg-as-png", "svg-with-script", "gif"],
)
def test_what_is_not_a_pdf_png_or_jpeg_is_refused_whatever_its_name_and_type(
    world, client_for, fulfilment, private_root, content, name, content_type
):
    response = send(client_for(world.a.tenant, world.a.admin), fulfilment, content, name, content_type)

    assert refused_with(response, "bad_type")
    assert_nothing_kept(fulfilment, private_root)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-1.4\n" + HTML, "bad_pdf"),  # a PDF's first bytes and nothing of one: no trailer
        (b"%PDF-" + ELF + b"\n%%EOF\n", "bad_pdf"),  # no version
        (
            b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF\n",
            "active_pdf",
        ),
        (b"%PDF-1.7\n1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >>\n%%EOF\n", "active_pdf"),
    ],
    ids=["html-after-magic", "no-version", "javascript", "launch"],
)
def test_a_pdf_is_checked_by_its_structure_and_refused_with_scripts(
    world, client_for, fulfilment, private_root, content, code
):
    response = send(client_for(world.a.tenant, world.a.admin), fulfilment, content)

    assert refused_with(response, code)
    assert_nothing_kept(fulfilment, private_root)


def test_a_plain_pdf_is_kept_as_sent(world, client_for, fulfilment, private_root):
    assert send(client_for(world.a.tenant, world.a.admin), fulfilment, PDF).status_code == 302
    stored = reload(fulfilment)
    assert stored.document_type == "application/pdf"
    assert (private_root / stored.document.name).read_bytes() == PDF


def test_an_html_jpeg_polyglot_is_encoded_again_and_loses_its_html(
    world, client_for, fulfilment, private_root
):
    polyglot = html_jpeg_polyglot()
    assert SCRIPT in polyglot

    response = send(client_for(world.a.tenant, world.a.admin), fulfilment, polyglot, "scan.jpg", "text/html")

    assert response.status_code == 302
    stored = reload(fulfilment)
    kept = (private_root / stored.document.name).read_bytes()
    assert SCRIPT not in kept and b"<html" not in kept
    assert Image.open(io.BytesIO(kept)).format == "JPEG" and stored.document_type == "image/jpeg"
    assert stored.document.name.endswith(".jpg") and "scan" not in stored.document.name

    download = client_for(world.a.tenant, world.a.manager).get(
        reverse("obligations:fulfilment-document", args=[fulfilment.pk])
    )
    assert download["Content-Type"] == "image/jpeg"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT not in b"".join(download.streaming_content)


def test_metadata_of_a_scan_is_dropped(world, client_for, fulfilment, private_root):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script> and the author's GPS"  # ImageDescription
    Image.new("RGB", (30, 30), "white").save(out, format="JPEG", exif=exif.tobytes())

    send(client_for(world.a.tenant, world.a.admin), fulfilment, out.getvalue(), "scan.jpg", "image/jpeg")

    kept = (private_root / reload(fulfilment).document.name).read_bytes()
    assert SCRIPT not in kept and b"GPS" not in kept


def test_a_20000_by_20000_png_is_refused_before_a_pixel_is_decoded(
    world, client_for, fulfilment, private_root
):
    loads = []
    original = ImageFile.ImageFile.load
    with mock.patch.object(
        ImageFile.ImageFile, "load", lambda self: loads.append(self.size) or original(self)
    ):
        response = send(
            client_for(world.a.tenant, world.a.admin), fulfilment, png_bomb(), "scan.png", "image/png"
        )

    assert refused_with(response, "too_many_pixels")
    assert loads == []
    assert_nothing_kept(fulfilment, private_root)


def test_the_pixel_limit_is_ours_and_a_setting(world, client_for, fulfilment, private_root, settings):
    # 2 million pixels: far under Pillow's own bomb limit (89 million), over the setting.
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    response = send(
        client_for(world.a.tenant, world.a.admin), fulfilment, png_bomb(2000, 1000), "scan.png", "image/png"
    )

    assert refused_with(response, "too_many_pixels")
    assert "1" in response.context["form"].errors["document"][0]
    assert_nothing_kept(fulfilment, private_root)


# A truncated image is not refused: WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process, so
# it is decoded as far as it goes and encoded again, which is as harmless.
def test_a_damaged_image_is_refused_with_a_message(world, client_for, fulfilment, private_root):
    response = send(
        client_for(world.a.tenant, world.a.admin),
        fulfilment,
        PNG_MAGIC + b"\x00" * 64,
        "scan.png",
        "image/png",
    )

    assert refused_with(response, "bad_image")
    assert_nothing_kept(fulfilment, private_root)


def test_a_50_mb_file_is_refused_with_the_limit_named(world, client_for, fulfilment, private_root):
    response = send(client_for(world.a.tenant, world.a.admin), fulfilment, PDF + b"0" * (50 * 1024 * 1024))

    assert response.status_code == 413
    assert response.context["form"].has_error("document", code="too_big")
    message = response.context["form"].errors["document"][0]
    assert "10,0" in message or "10.0" in message
    assert_nothing_kept(fulfilment, private_root)


def test_the_size_limit_follows_its_setting(world, client_for, fulfilment, private_root, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client = client_for(world.a.tenant, world.a.admin)

    response = send(client, fulfilment, PDF + b"0" * (1024 * 1024 + 100 * 1024))

    assert response.status_code == 413
    message = response.context["form"].errors["document"][0]
    assert "1,0" in message or "1.0" in message
    page = client.get(reverse("obligations:fulfilment-detail", args=[fulfilment.pk])).content.decode()
    assert "1,0" in page or "1.0" in page  # the help text names the limit too
    assert_nothing_kept(fulfilment, private_root)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\windows\\system32\\evil.pdf", "/etc/passwd.pdf"]
)
def test_a_path_in_the_name_is_dropped_and_the_file_stored_under_a_generated_name(
    world, client_for, fulfilment, private_root, name
):
    send(client_for(world.a.tenant, world.a.admin), fulfilment, PDF, name)

    stored = reload(fulfilment)
    assert "/" not in stored.document_name and "\\" not in stored.document_name
    assert stored.document_name.endswith(".pdf") and ".." not in stored.document_name
    assert stored.document.name.startswith(f"tenants/{world.a.tenant.pk}/duties/")
    assert ".." not in stored.document.name and "passwd" not in stored.document.name
    assert [os.path.relpath(p, private_root) for p in stored_files(private_root)] == [stored.document.name]

    download = client_for(world.a.tenant, world.a.admin).get(
        reverse("obligations:fulfilment-document", args=[fulfilment.pk])
    )
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition and "\\" not in disposition


def test_evidence_and_documents_are_served_as_attachments_with_nosniff(world, client_for, fulfilment):
    from tests.documents.factories import DocumentFactory

    send(client_for(world.a.tenant, world.a.admin), fulfilment, PDF)
    evidence = client_for(world.a.tenant, world.a.admin).get(
        reverse("obligations:fulfilment-document", args=[fulfilment.pk])
    )
    document = DocumentFactory(partner=world.a.partner)
    download = client_for(world.a.tenant, world.a.admin).get(
        reverse("documents:document-download", args=[document.pk])
    )

    for response in (evidence, download):
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]
