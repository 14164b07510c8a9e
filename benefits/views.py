"""Mes avantages: what the partner has, what it can claim, its claims, and what each tier gives.

Claiming and cancelling answer two ways from one URL. A plain form post redirects to the page with a
message, as without JavaScript; an htmx request (``request.htmx``) gets the fragments that changed — the
benefit's row and the "My claims" card, one in place and the other out of band — with the message inside
the row or card that was acted on, and nothing left in the session's messages. Both paths look the claim
or benefit up through the partner first (404 for anyone else's) and call the same service.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.vary import vary_on_headers
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from partnerportal.views import PartnerMemberRequiredMixin

from . import selectors, services
from .forms import ClaimForm
from .models import Benefit
from .tables import ClaimTable

CLAIMS_PER_PAGE = 10


class BenefitListView(PartnerMemberRequiredMixin, SingleTableMixin, TemplateView):
    template_name = "benefits/benefit_list.html"
    table_class = ClaimTable
    table_pagination = {"per_page": CLAIMS_PER_PAGE}

    def get_table_data(self):
        return selectors.claim_list(partner=self.partner)

    def get_context_data(self, **kwargs):
        overview = selectors.entitlement_overview(partner=self.partner, day=self.request.tenant.today())
        return super().get_context_data(
            overview=overview, comparison=overview.comparison(), claim_form=ClaimForm(auto_id=False), **kwargs
        )


def claim_table(request, *, partner) -> ClaimTable:
    """The "My claims" table of an htmx answer, sorted and paged as the page the person is on.

    The POST that claims or cancels has no query string; the page's own address comes in the
    HX-Current-URL header, so the swapped card keeps its sort and page instead of jumping back to page 1.
    """
    params = QueryDict(urlsplit(request.htmx.current_url or "").query)
    table = ClaimTable(selectors.claim_list(partner=partner), request=request)
    if params.get("sort"):
        table.order_by = params["sort"]
    try:
        table.paginate(page=params.get("page", 1), per_page=CLAIMS_PER_PAGE)
    except (EmptyPage, PageNotAnInteger):
        table.paginate(page=1, per_page=CLAIMS_PER_PAGE)
    return table


class ClaimAnswerMixin(PartnerMemberRequiredMixin):
    """Say how a claim or a cancellation went: a message and a redirect, or the fragments for htmx."""

    fragment_template: str

    def answer(self, level: int, text: str, *, benefit: Benefit, form: ClaimForm | None = None):
        if not self.request.htmx:
            messages.add_message(self.request, level, text)
            return redirect("benefits:benefit-list")
        overview = selectors.entitlement_overview(partner=self.partner, day=self.request.tenant.today())
        entitlement = next((e for e in overview.claimables if e.benefit.pk == benefit.pk), None)
        flash = {"level": messages.DEFAULT_TAGS[level], "text": text}
        return TemplateResponse(
            self.request,
            self.fragment_template,
            {
                "partner": self.partner,
                "benefit": benefit,
                "e": entitlement,
                "claim_form": form or ClaimForm(auto_id=False),
                "table": claim_table(self.request, partner=self.partner),
                "flash": flash,
            },
        )


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class ClaimCreateView(ClaimAnswerMixin, View):
    """POST: claim a benefit of the partner type's catalogue; the rules' refusals come back as messages."""

    fragment_template = "benefits/htmx/claimed.html"

    def post(self, request, pk):
        benefit = get_object_or_404(selectors.benefit_list_for(partner=self.partner), pk=pk)
        form = ClaimForm(request.POST, auto_id=False)
        if not form.is_valid():
            return self.answer(
                messages.ERROR,
                _("Your note is too long: 500 characters at most."),
                benefit=benefit,
                form=form,
            )
        try:
            claim = services.claim_create(
                partner=self.partner, benefit=benefit, by=request.user, note=form.cleaned_data["note"]
            )
        except services.ClaimError as error:
            return self.answer(messages.ERROR, " ".join(error.messages), benefit=benefit, form=form)
        if claim.state == claim.State.APPROVED:
            text = _("%(benefit)s is yours: your claim is approved.") % {"benefit": benefit}
        else:
            text = _("Your claim for %(benefit)s is sent: your channel manager will review it.") % {
                "benefit": benefit
            }
        return self.answer(messages.SUCCESS, text, benefit=benefit)


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class ClaimCancelView(ClaimAnswerMixin, View):
    fragment_template = "benefits/htmx/cancelled.html"

    def post(self, request, pk):
        claim = get_object_or_404(selectors.claim_list(partner=self.partner), pk=pk)
        try:
            services.claim_cancel(claim=claim)
        except services.ClaimError as error:
            return self.answer(messages.ERROR, " ".join(error.messages), benefit=claim.benefit)
        return self.answer(
            messages.SUCCESS,
            _("Your claim for %(benefit)s is cancelled.") % {"benefit": claim.benefit},
            benefit=claim.benefit,
        )
