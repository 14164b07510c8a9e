"""Evidence uploads: checked by content, stored privately under generated names, served only to the owner
partner's people and the tenant's managers."""

import io
import os
from unittest import mock

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from obligations.models import FulfilmentState
from obligations.uploads import MAX_BYTES
from tests.conftest import login_on
from tests.obligations.conftest import JPEG, PDF, PNG, upload
from tests.obligations.factories import DutyFulfilmentFactory
from tests.obligations.helpers import reload


@pytest.fixture
def fulfilment(world):
    return DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte partenaire")


def files_under(root) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, names in os.walk(root) for f in names]


def post_file(client, fulfilment, file):
    return client.post(reverse("obligations:fulfilment-upload", args=[fulfilment.pk]), {"document": file})


@pytest.mark.parametrize("content", [PDF, PNG, JPEG])
def test_a_pdf_png_or_jpeg_is_stored_and_submitted(world, client_for, fulfilment, private_root, content):
    response = post_file(client_for(world.a.tenant, world.a.sales), fulfilment, upload(content))

    assert response.status_code == 302
    stored = reload(fulfilment)
    assert stored.state == FulfilmentState.SUBMITTED and stored.submitted_by == world.a.sales
    assert stored.document.name.startswith(f"tenants/{world.a.tenant.pk}/duties/")
    kept = (private_root / stored.document.name).read_bytes()
    if content == PDF:
        assert kept == content
    else:  # a scan is decoded and encoded again: the same picture, not the same bytes
        assert Image.open(io.BytesIO(kept)).size == Image.open(io.BytesIO(content)).size


@pytest.mark.parametrize("content", [b"MZ\x90\x00\x03" + b"\x00" * 64, b"\x7fELF\x02\x01\x01" + b"\x00" * 64])
def test_an_executable_renamed_pdf_is_refused_with_a_clear_message(
    world, client_for, fulfilment, private_root, content
):
    response = post_file(
        client_for(world.a.tenant, world.a.admin), fulfilment, upload(content, "contrat.pdf")
    )

    assert response.status_code == 400
    assert "ni un PDF, ni une image PNG ou JPEG" in response.content.decode()
    assert reload(fulfilment).state == FulfilmentState.TO_DO
    assert files_under(private_root) == []


def test_a_body_over_10_mb_is_refused_before_it_is_read(world, client_for, fulfilment, private_root):
    big = PDF + b"0" * (11 * 1024 * 1024)
    client = client_for(world.a.tenant, world.a.admin)
    read = []
    # Nothing parses the body: the refusal comes from its Content-Length alone.
    with mock.patch.object(MultiPartParser, "parse", side_effect=lambda *a: read.append(1)):
        response = post_file(client, fulfilment, upload(big))

    assert response.status_code == 413
    body = response.content.decode()
    assert "10,0" in body or "10.0" in body  # "la limite de 10,0 Mo"
    assert read == [] and files_under(private_root) == []
    assert reload(fulfilment).state == FulfilmentState.TO_DO
    assert MAX_BYTES == 10 * 1024 * 1024


def test_a_file_past_the_limit_is_cut_off_while_it_is_read(world, client_for, fulfilment, private_root):
    # The body is under the Content-Length refusal (limit + form margin), the file just over the limit:
    # the upload handler stops reading at the limit, as it would for a body that lies about its length.
    just_over = PDF + b"0" * (MAX_BYTES + 1 - len(PDF))
    seen = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        seen.append(start + len(raw_data))
        return original(self, raw_data, start)

    with mock.patch.object(TemporaryFileUploadHandler, "receive_data_chunk", spy):
        response = post_file(client_for(world.a.tenant, world.a.admin), fulfilment, upload(just_over))

    assert response.status_code == 400
    body = response.content.decode()
    assert "10,0" in body or "10.0" in body
    assert max(seen) <= MAX_BYTES  # nothing past the limit reached the temporary file
    assert files_under(private_root) == []
    assert reload(fulfilment).state == FulfilmentState.TO_DO


def test_the_upload_still_needs_the_csrf_token(world, fulfilment, private_root):
    client = login_on(Client(HTTP_HOST=world.a.host, enforce_csrf_checks=True), world.a.admin, world.a.tenant)
    url = reverse("obligations:fulfilment-upload", args=[fulfilment.pk])

    assert client.post(url, {"document": upload()}).status_code == 403
    assert reload(fulfilment).state == FulfilmentState.TO_DO and files_under(private_root) == []

    page = client.get(reverse("obligations:fulfilment-detail", args=[fulfilment.pk]))
    token = str(page.context["csrf_token"])
    assert client.post(url, {"document": upload(), "csrfmiddlewaretoken": token}).status_code == 302
    assert reload(fulfilment).state == FulfilmentState.SUBMITTED


def test_a_path_in_the_file_name_is_ignored(world, client_for, fulfilment, private_root):
    post_file(client_for(world.a.tenant, world.a.admin), fulfilment, upload(PDF, "../../etc/passwd.pdf"))

    stored = reload(fulfilment)
    assert stored.document_name == "passwd.pdf"
    assert ".." not in stored.document.name and "passwd" not in stored.document.name
    assert [os.path.relpath(p, private_root) for p in files_under(private_root)] == [stored.document.name]


def test_the_owner_and_a_manager_download_others_get_404(world, client_for, fulfilment):
    post_file(client_for(world.a.tenant, world.a.admin), fulfilment, upload(PDF, "Charte signée.pdf"))
    url = reverse("obligations:fulfilment-document", args=[fulfilment.pk])

    for user in (world.a.sales, world.a.manager):
        response = client_for(world.a.tenant, user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
    assert client_for(world.a.tenant, world.a.other_admin).get(url).status_code == 404
    assert client_for(world.b.tenant, world.b.admin).get(url).status_code == 404
    assert client_for(world.b.tenant, world.b.manager).get(url).status_code == 404
    assert client_for(world.a.tenant).get(url).status_code == 302  # to sign-in


def test_another_partners_duty_cannot_be_uploaded_to(world, client_for, fulfilment, private_root):
    for tenant, user in ((world.a.tenant, world.a.other_admin), (world.b.tenant, world.b.admin)):
        assert post_file(client_for(tenant, user), fulfilment, upload()).status_code == 404
    assert files_under(private_root) == []
    assert reload(fulfilment).state == FulfilmentState.TO_DO


def test_a_refused_document_can_be_replaced_and_the_old_file_goes(
    world, client_for, fulfilment, private_root, django_capture_on_commit_callbacks
):
    client = client_for(world.a.tenant, world.a.admin)
    post_file(client, fulfilment, upload(PDF, "v1.pdf"))
    first = reload(fulfilment).document.name
    with scopes_disabled():
        type(fulfilment).objects.filter(pk=fulfilment.pk).update(
            state=FulfilmentState.REFUSED, reason="Illisible"
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert post_file(client, fulfilment, upload(PNG, "v2.png")).status_code == 302

    stored = reload(fulfilment)
    assert stored.state == FulfilmentState.SUBMITTED and stored.reason == ""
    assert [os.path.relpath(p, private_root) for p in files_under(private_root)] == [stored.document.name]
    assert stored.document.name != first


def test_the_storage_has_no_public_url(fulfilment):
    from obligations.storage import private_storage

    with pytest.raises(ValueError):
        private_storage().url("tenants/1/duties/x.pdf")
