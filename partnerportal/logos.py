"""The tenant's logo, served by the portal itself in every setting (DEBUG or not, no media server needed).

Its URL, ``/logo/<file name>`` on the tenant's host, names the stored file, whose name is the hash of its
content (``uploads.logo_clean``): a new logo is a new URL, so the answer may be kept a year by browsers and
shared caches. Any other name, or another tenant's, is a 404. An SVG is served with a policy that runs
nothing in it even when it is opened on its own rather than through ``<img>``.
"""

from pathlib import PurePosixPath

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from .uploads import head_of, logo_clean, logo_kind

A_YEAR = 365 * 24 * 60 * 60


@require_safe
def tenant_logo(request, name: str):
    logo = request.tenant.logo
    if not logo or PurePosixPath(logo.name).name != name:
        raise Http404
    try:
        handle = logo.storage.open(logo.name, "rb")
    except OSError:
        raise Http404 from None
    content_type = logo_kind(head_of(handle, 512))
    if content_type is None:  # not an image (a file stored before the checks): not served as anything
        handle.close()
        raise Http404
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={A_YEAR}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    # An SVG opened directly is a document of the portal's origin: no script, no fetch, in a sandbox.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


class TenantForm(forms.ModelForm):
    """The tenant's form in the back-office (the admin gives it its model and fields): a new logo is checked,
    encoded again and named by its content."""

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if isinstance(logo, UploadedFile):
            body, name = logo_clean(logo)
            return ContentFile(body, name=name)
        return logo
