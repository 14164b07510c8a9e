"""Leads in the portal: the leads offered to the partner and the ones it works, and its conversion.

Every lookup goes through the partner (``selectors.lead_list_for``): another partner's lead, a lead
reassigned away from this partner, and another tenant's lead all answer 404. The customer's contact is in
the page only once the partner has accepted the lead.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from partnerportal.views import PartnerMemberRequiredMixin

from . import selectors, services
from .forms import LeadProgressForm
from .models import Lead


class LeadListView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "leads/lead_list.html"

    def get_context_data(self, **kwargs):
        leads = list(selectors.lead_list_for(partner=self.partner))
        return super().get_context_data(
            offered=[lead for lead in leads if lead.state == Lead.State.OFFERED],
            working=[
                lead for lead in leads if lead.state in Lead.OPEN_STATES and lead.state != Lead.State.OFFERED
            ],
            closed=[lead for lead in leads if lead.state in Lead.CLOSED_STATES],
            conversion=selectors.conversion_for(partner=self.partner),
            **kwargs,
        )


class LeadDetailView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "leads/lead_detail.html"

    def get_context_data(self, **kwargs):
        lead = get_object_or_404(selectors.lead_list_for(partner=self.partner), pk=self.kwargs["pk"])
        next_states = services.PROGRESS.get(lead.state, ())
        return super().get_context_data(
            lead=lead,
            form=kwargs.pop("form", None) or LeadProgressForm(next_states=next_states),
            next_states=next_states,
            **kwargs,
        )


class LeadActionMixin(PartnerMemberRequiredMixin):
    def lead(self, pk) -> Lead:
        return get_object_or_404(selectors.lead_list_for(partner=self.partner), pk=pk)


class LeadAcceptView(LeadActionMixin, View):
    def post(self, request, pk):
        lead = self.lead(pk)
        try:
            services.lead_accept(lead=lead, partner=self.partner)
        except services.LeadError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("leads:lead-list")
        messages.success(request, _("The lead is yours: its contact is below. Tell us how it goes."))
        return redirect("leads:lead-detail", pk=lead.pk)


class LeadDeclineView(LeadActionMixin, View):
    def post(self, request, pk):
        lead = self.lead(pk)
        try:
            services.lead_decline(lead=lead, partner=self.partner)
        except services.LeadError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Lead declined: it goes to another partner."))
        return redirect("leads:lead-list")


class LeadProgressView(LeadActionMixin, View):
    def post(self, request, pk):
        lead = self.lead(pk)
        form = LeadProgressForm(request.POST)
        if form.is_valid():
            try:
                services.lead_progress(
                    lead=lead,
                    partner=self.partner,
                    state=form.cleaned_data["state"],
                    won_value=form.cleaned_data["won_value"],
                    lost_reason=form.cleaned_data["lost_reason"] or "",
                )
            except services.LeadError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Lead updated."))
                return redirect("leads:lead-detail", pk=lead.pk)
        view = LeadDetailView(request=request, kwargs={"pk": pk})
        view.partner = self.partner
        return view.render_to_response(view.get_context_data(form=form), status=400)
