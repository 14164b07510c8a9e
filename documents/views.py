"""Mes documents, the download of a document, and the public verification of a diploma.

The verification page is the one public page of the portal that shows a partner's data: it says whether a
diploma is valid and, only then, for whom, which tier and until when. Anything else (revoked, expired, the
partner suspended) reads "no longer valid" with no detail, and an unknown code, a pack's code or another
tenant's code all read "unknown" alike.
"""

import logging

from django.core.cache import cache
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from partnerportal.views import PartnerMemberRequiredMixin
from tiers.selectors import tier_list

from .models import Document
from .selectors import State, diploma_state, document_shelf
from .tables import DocumentTable

logger = logging.getLogger(__name__)

# Lookups per client address and tenant in a fixed window: enough for a person checking a few diplomas by
# hand, far too few to walk the code space (128 bits) or to scrape the partners behind known codes.
VERIFY_LIMIT = 30
VERIFY_WINDOW = 10 * 60  # seconds

# A code is 22 characters (models.new_code; 32 before), at most the field's length: anything longer is not
# one, and is not looked up.
CODE_MAX_LENGTH = Document._meta.get_field("code").max_length


def document_response(document: Document) -> FileResponse:
    """The PDF as an attachment, never cached; a file missing from storage is a 404, not a 500.

    ``document.partner`` is read for the file name (select it with the document)."""
    name = document.file.name
    try:
        if not name or not document.file.storage.exists(name):
            raise FileNotFoundError(name)
        handle = document.file.open("rb")
    except OSError:
        logger.error("document %s: its file %r is missing from storage", document.pk, name)
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentListView(PartnerMemberRequiredMixin, TemplateView):
    """Mes documents: the valid diploma, the packs, and the history (revoked ones marked, with why)."""

    template_name = "documents/document_list.html"

    def get_context_data(self, **kwargs):
        today = self.request.tenant.today()
        shelf = document_shelf(partner=self.partner, today=today)
        context = {
            "today": today,
            "diploma": shelf.diploma,
            "packs": shelf.packs,
            "history": DocumentTable(shelf.history) if shelf.history else None,
        }
        if shelf.diploma:
            path = reverse("documents:verify", args=[shelf.diploma.code])
            context["verify_url"] = self.request.build_absolute_uri(path)
        else:
            # Which tiers award a diploma, for the partner who has none yet.
            context["diploma_tiers"] = list(tier_list(tenant=self.request.tenant).filter(awards_diploma=True))
        return super().get_context_data(**context, **kwargs)


class DocumentDownloadView(PartnerMemberRequiredMixin, View):
    """One of the partner's documents; another partner's or tenant's is a 404, like one that does not exist."""

    http_method_names = ["get", "head"]

    def get(self, request, pk):
        queryset = Document.objects.filter(partner=request.partner).select_related("partner")
        return document_response(get_object_or_404(queryset, pk=pk))


def verify_allowed(request) -> bool:
    """Count a lookup against the visitor's address; False once it is over the limit of the window.

    The cache's KEY_FUNCTION puts the key in the tenant's partition. REMOTE_ADDR is the client as the
    server sees it: behind a proxy, the deployment must make it the real client's address.
    """
    key = f"documents:verify:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=VERIFY_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, timeout=VERIFY_WINDOW)
        count = 1
    return count <= VERIFY_LIMIT


class VerifyView(View):
    """Public: is the diploma with this code valid? Anyone may ask, a limited number of times."""

    template_name = "documents/verify.html"
    http_method_names = ["get", "head"]

    def get(self, request, code):
        if not verify_allowed(request):
            response = self.answer(request, {"state": "limited"}, status=429)
            response["Retry-After"] = str(VERIFY_WINDOW)
            return response
        diploma = None
        if len(code) <= CODE_MAX_LENGTH:
            diploma = (
                Document.objects.filter(tenant=request.tenant, kind=Document.Kind.DIPLOMA, code=code)
                .select_related("partner", "tier")
                .first()
            )
        if diploma is None:
            return self.answer(request, {"state": "unknown"}, status=404)
        today = request.tenant.today()
        if diploma_state(diploma, today=today) != State.VALID:
            # Nothing about the diploma reaches the template: not the partner, the tier nor the dates.
            return self.answer(request, {"state": "invalid", "checked_on": today})
        return self.answer(request, {"state": "valid", "diploma": diploma, "checked_on": today})

    def answer(self, request, context, status=200):
        response = render(request, self.template_name, context, status=status)
        response["X-Robots-Tag"] = "noindex, nofollow"
        # The answer changes with revocations and the date, and each request must count against the limit.
        response["Cache-Control"] = "no-store"
        return response
