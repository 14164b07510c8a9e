"""Tenant logos: checked and encoded again on upload, named by their content, and served by the portal
itself with DEBUG off (no media server), with a year's cache, their own content type and nosniff."""

import io
import re
from unittest import mock

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from partnerportal import demo
from partnerportal.models import Tenant
from partnerportal.uploads import svg_check
from tests.security.hostile import (
    ELF,
    HOSTILE_SVGS,
    PLAIN_SVG,
    SCRIPT,
    html_jpeg_polyglot,
    image,
    png_bomb,
)

A_YEAR = 365 * 24 * 60 * 60
LOGO_SRC = re.compile(r'class="brand__logo" src="([^"]+)"')


def logo_form(world, content: bytes, name: str = "logo.png", content_type: str = "image/png"):
    """The back-office's tenant form (the admin's own), bound to tenant A with a new logo."""
    tenant = Tenant.objects.get(pk=world.a.tenant.pk)
    model_admin = admin.site._registry[Tenant]
    request = RequestFactory().post("/admin/")
    request.user = world.superuser
    form_class = model_admin.get_form(request, tenant, fields=["name", "slug", "logo"])
    data = {"name": tenant.name, "slug": tenant.slug}
    files = {"logo": SimpleUploadedFile(name, content, content_type=content_type)}
    return form_class(data, files, instance=tenant)


def upload_logo(world, content: bytes, name: str = "logo.png") -> Tenant:
    form = logo_form(world, content, name)
    assert form.is_valid(), form.errors
    return form.save()


def logo_src(client) -> str:
    page = client.get(reverse("account_login")).content.decode()
    return LOGO_SRC.search(page).group(1)


# --- served with DEBUG off -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(image("PNG"), "image/png"), (image("JPEG"), "image/jpeg"), (PLAIN_SVG, "image/svg+xml")],
)
def test_with_debug_off_every_pages_logo_answers_200_cached_a_year(
    world, client_for, settings, content, content_type
):
    settings.DEBUG = False
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}[content_type]
    tenant = upload_logo(world, content, f"Logo Alpha.{extension}")
    anonymous, partner = client_for(world.a.tenant), client_for(world.a.tenant, world.a.admin)

    src = logo_src(anonymous)
    assert src == tenant.logo_url and src.startswith("/logo/logo-") and src.endswith(f".{extension}")
    assert f'src="{src}"' in partner.get(reverse("partnerportal:home")).content.decode()
    manager = client_for(world.a.tenant, world.a.manager)
    assert f'src="{src}"' in manager.get(reverse("admin:index")).content.decode()

    response = anonymous.get(src)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f"max-age={A_YEAR}" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body == tenant.logo.storage.open(tenant.logo.name).read()
    # The old address under MEDIA_URL is served by nothing.
    assert anonymous.get(f"/media/{tenant.logo.name}").status_code == 404


def test_an_svg_logo_opened_on_its_own_runs_nothing(world, client_for):
    tenant = upload_logo(world, PLAIN_SVG, "logo.svg")

    response = client_for(world.a.tenant).get(tenant.logo_url)

    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy


def test_another_name_or_another_tenants_host_is_a_404(world, client_for, settings):
    settings.DEBUG = False
    url = upload_logo(world, image("PNG")).logo_url

    assert client_for(world.b.tenant).get(url).status_code == 404  # B has no such logo
    assert client_for(world.a.tenant).get(url.replace("logo-", "logo-0")).status_code == 404
    assert client_for(world.a.tenant).get("/logo/..%2F..%2Fsettings.py").status_code == 404
    assert client_for(world.a.tenant).post(url).status_code == 405
    assert client_for(world.b.tenant).get(reverse("account_login")).status_code == 200  # B: no logo, its name
    assert "brand__logo" not in client_for(world.b.tenant).get(reverse("account_login")).content.decode()


def test_the_url_changes_when_the_logo_changes(world):
    first = upload_logo(world, image("PNG", colour="#e4007c")).logo_url
    second = upload_logo(world, image("PNG", colour="#2b1a64")).logo_url

    assert first != second


def test_a_logo_in_object_storage_is_loaded_from_the_storage(world):
    class ObjectStorage(Storage):
        def url(self, name):
            return f"https://cdn.example.test/{name}"

    tenant = upload_logo(world, image("PNG"))
    field = Tenant._meta.get_field("logo")
    with mock.patch.object(field, "storage", ObjectStorage()):
        fresh = Tenant.objects.get(pk=tenant.pk)
        assert fresh.logo_url == f"https://cdn.example.test/{tenant.logo.name}"


# --- checked on upload -----------------------------------------------------------------------------------


@pytest.mark.parametrize("svg", HOSTILE_SVGS.values(), ids=HOSTILE_SVGS.keys())
def test_an_svg_with_active_content_is_refused(world, svg):
    form = logo_form(world, svg, "logo.svg", "image/svg+xml")

    assert not form.is_valid()
    assert form.has_error("logo", code="active_svg") or form.has_error("logo", code="bad_svg")
    assert not Tenant.objects.get(pk=world.a.tenant.pk).logo


def test_the_demo_wordmarks_pass_the_svg_check():
    for spec in demo.TENANTS:
        svg_check(demo._logo_svg(spec).encode())


def test_a_plain_svg_is_kept_as_sent(world):
    tenant = upload_logo(world, PLAIN_SVG, "logo.svg")
    assert tenant.logo.read() == PLAIN_SVG


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (ELF, "logo.png", "bad_type"),
        (b"<html><script>alert(1)</script></html>", "logo.svg", "bad_type"),
        (png_bomb(), "logo.png", "too_many_pixels"),
    ],
    ids=["elf-as-png", "html-as-svg", "20000x20000"],
)
def test_what_is_not_a_safe_image_is_refused(world, content, name, code):
    form = logo_form(world, content, name)

    assert not form.is_valid()
    assert form.has_error("logo", code=code)


def test_a_logo_over_the_limit_is_refused_naming_it(world, settings):
    settings.LOGO_MAX_BYTES = 100 * 1024
    form = logo_form(world, image("PNG") + b"\x00" * (200 * 1024))

    assert not form.is_valid() and form.has_error("logo", code="too_big")
    assert "100" in form.errors["logo"][0]


def test_an_image_logo_is_encoded_again_shrunk_and_named_by_its_content(world):
    polyglot = html_jpeg_polyglot()
    tenant = upload_logo(world, polyglot, "../../etc/passwd.jpg")

    kept = tenant.logo.read()
    assert SCRIPT not in kept
    assert re.fullmatch(rf"tenants/{tenant.pk}/tenant/logo-[0-9a-f]{{16}}\.jpg", tenant.logo.name)

    big = upload_logo(world, image("PNG", size=(3000, 600)), "big.png")
    assert Image.open(io.BytesIO(big.logo.read())).size == (1200, 240)


def test_a_logo_saved_by_the_model_form_is_checked_too(world):
    """Any model form of the tenant runs the model's validator, not only the back-office's."""
    from django import forms

    class PlainForm(forms.ModelForm):
        class Meta:
            model = Tenant
            fields = ["name", "slug", "logo"]

    tenant = world.a.tenant
    form = PlainForm(
        {"name": tenant.name, "slug": tenant.slug},
        {"logo": SimpleUploadedFile("logo.svg", HOSTILE_SVGS["onload"], content_type="image/svg+xml")},
        instance=tenant,
    )
    assert not form.is_valid() and form.has_error("logo", code="active_svg")
    # A stored file is not read again at each save.
    tenant.logo.save("logo.svg", ContentFile(PLAIN_SVG), save=True)
    tenant.full_clean()


def admin_form_data(response) -> dict:
    """What the back-office's change form would post back as it stands: its fields and its inlines."""
    data = {}
    adminform = response.context["adminform"]
    for name in adminform.form.fields:
        value = adminform.form[name].value()
        if value is None or name == "logo":
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None:
                    data[form.add_prefix(name)] = value
    return data


def test_the_back_office_checks_and_renames_an_uploaded_logo(world, client_for):
    client = client_for(world.a.tenant, world.superuser)
    url = reverse("admin:partnerportal_tenant_change", args=[world.a.tenant.pk])
    data = admin_form_data(client.get(url))

    refused = client.post(url, {**data, "logo": SimpleUploadedFile("logo.svg", HOSTILE_SVGS["script"])})
    assert refused.status_code == 200 and refused.context["adminform"].form.has_error(
        "logo", code="active_svg"
    )
    assert not Tenant.objects.get(pk=world.a.tenant.pk).logo

    webp = io.BytesIO()
    Image.new("RGB", (50, 20), "navy").save(webp, format="WEBP")
    saved = client.post(url, {**data, "logo": SimpleUploadedFile("../../Mon logo.webp", webp.getvalue())})
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    tenant = Tenant.objects.get(pk=world.a.tenant.pk)
    assert re.fullmatch(rf"tenants/{tenant.pk}/tenant/logo-[0-9a-f]{{16}}\.png", tenant.logo.name)
    assert client.get(tenant.logo_url)["Content-Type"] == "image/png"
