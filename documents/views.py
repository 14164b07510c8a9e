"""Mes documents, the download of a document, and the public verification of a diploma (placeholders)."""

from django.http import Http404
from django.views import View
from django.views.generic import TemplateView

from partnerportal.views import PartnerMemberRequiredMixin


class DocumentListView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "documents/document_list.html"


class DocumentDownloadView(PartnerMemberRequiredMixin, View):
    def get(self, request, pk):
        raise Http404


class VerifyView(TemplateView):
    template_name = "documents/verify.html"
