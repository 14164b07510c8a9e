from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from partnerportal.views import PartnerMemberRequiredMixin

from . import selectors
from .charts import revenue_chart
from .hooks import tier_gaps


class StatusView(PartnerMemberRequiredMixin, TemplateView):
    """Mon statut: tier, basis over the rolling window, gap to the next tier, history and chart."""

    template_name = "tiers/status.html"

    def get_context_data(self, **kwargs):
        partner = self.partner
        status = selectors.partner_status(partner=partner)
        context = super().get_context_data(status=status, **kwargs)
        if status is None:
            return context
        months = selectors.monthly_revenue(partner=partner, categories=status.categories, months=24)
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
