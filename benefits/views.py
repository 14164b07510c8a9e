"""Mes avantages: what the partner has, what it can claim, its claims, and what each tier gives."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from partnerportal.views import PartnerMemberRequiredMixin

from . import selectors, services
from .forms import ClaimForm
from .tables import ClaimTable


class BenefitListView(PartnerMemberRequiredMixin, SingleTableMixin, TemplateView):
    template_name = "benefits/benefit_list.html"
    table_class = ClaimTable
    table_pagination = {"per_page": 10}

    def get_table_data(self):
        return selectors.claim_list(partner=self.partner)

    def get_context_data(self, **kwargs):
        overview = selectors.entitlement_overview(partner=self.partner, day=self.request.tenant.today())
        return super().get_context_data(
            overview=overview, comparison=overview.comparison(), claim_form=ClaimForm(auto_id=False), **kwargs
        )


class ClaimCreateView(PartnerMemberRequiredMixin, View):
    """POST: claim a benefit of the partner type's catalogue; the rules' refusals come back as messages."""

    def post(self, request, pk):
        benefit = get_object_or_404(selectors.benefit_list_for(partner=self.partner), pk=pk)
        form = ClaimForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Your note is too long: 500 characters at most."))
            return redirect("benefits:benefit-list")
        try:
            claim = services.claim_create(
                partner=self.partner, benefit=benefit, by=request.user, note=form.cleaned_data["note"]
            )
        except services.ClaimError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("benefits:benefit-list")
        if claim.state == claim.State.APPROVED:
            messages.success(
                request, _("%(benefit)s is yours: your claim is approved.") % {"benefit": benefit}
            )
        else:
            messages.success(
                request,
                _("Your claim for %(benefit)s is sent: your channel manager will review it.")
                % {"benefit": benefit},
            )
        return redirect("benefits:benefit-list")


class ClaimCancelView(PartnerMemberRequiredMixin, View):
    def post(self, request, pk):
        claim = get_object_or_404(selectors.claim_list(partner=self.partner), pk=pk)
        try:
            services.claim_cancel(claim=claim)
        except services.ClaimError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Your claim for %(benefit)s is cancelled.") % {"benefit": claim.benefit}
            )
        return redirect("benefits:benefit-list")
