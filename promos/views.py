"""Promotions & devis (placeholder until the portal pages land)."""

from django.views.generic import TemplateView

from partnerportal.views import PartnerMemberRequiredMixin


class QuoteCalculatorView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "promos/quote_calculator.html"


class QuoteListView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "promos/quote_list.html"


class QuoteDetailView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "promos/quote_detail.html"
