from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from partnerportal.views import PartnerMemberRequiredMixin

from . import selectors
from .charts import revenue_chart
from .forms import SimulationForm
from .hooks import tier_gaps
from .standing import partner_standing, simulate


class StatusView(PartnerMemberRequiredMixin, TemplateView):
    """Mon statut: tier, basis over the rolling window, gap to the next tier, the simulator, history and
    chart. With ``?extra=…`` the simulator projects the next evaluations (nothing saved); an htmx request
    gets the simulator's card alone."""

    template_name = "tiers/status.html"

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "simulator":
            return ["tiers/_simulator.html"]
        return [self.template_name]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])  # one URL, two renderings
        return response

    def get_context_data(self, **kwargs):
        partner = self.partner
        today = partner.tenant.today()
        standing = partner_standing(partner=partner, today=today)
        context = super().get_context_data(standing=standing, status=standing and standing.status, **kwargs)
        if standing is None:
            return context
        status = standing.status
        months = selectors.monthly_revenue(
            partner=partner, categories=status.categories, months=24, today=today
        )
        form = SimulationForm(self.request.GET if "extra" in self.request.GET else None)
        context["form"] = form
        if form.is_valid():
            context["simulation"] = simulate(
                partner=partner, status=status, history=months, extra=form.cleaned_data["extra"], today=today
            )
        if self.get_template_names() != [self.template_name]:
            return context  # the simulator's card alone
        context["history"] = selectors.assessment_list(partner=partner)
        if status.next_tier is not None:
            context["duty_gap"] = join_phrases(tier_gaps(partner=partner, tier=status.next_tier))
        context["chart"] = revenue_chart(
            months=months,
            thresholds=[(t.tier.name, t.minimum_monthly, t.tier.colour) for t in status.thresholds],
            label=_("Qualifying revenue of the last 24 months, with the tier thresholds"),
        )
        return context


def join_phrases(phrases: list[str]) -> str:
    """ "2 trainings", "1 document" -> "2 trainings and 1 document" (translated)."""
    if len(phrases) < 2:
        return "".join(phrases)
    return _("%(first)s and %(last)s") % {"first": ", ".join(phrases[:-1]), "last": phrases[-1]}


def tier_css(request):
    """Each tier's colour as a badge class: a stylesheet, so the CSP needs no inline style."""
    lines = [
        f".tier-badge--{tier.code} {{ background: {tier.colour}; }}"
        for tier in selectors.tier_list(tenant=request.tenant)
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
