"""Promotions & devis: the promotions a partner may use, the quote calculator, and its saved quotes.

The calculator works without JavaScript: its rows are a formset, and "More rows" posts the form back with
more empty rows. "Calculate" prices the basket and saves nothing; "Save the quote" prices it again in the
service and keeps it. Prices and their explanation always come from the engine (``selectors.basket_price``);
this module only shapes them for the page.

With htmx the same form re-prices as it is edited: a change posts it (no action: "calculate") and the
answer is the result alone (``promos/_result.html``, which the page includes), the prices or what stops
them; "More rows" answers the basket card (``promos/_basket.html``), and "Save" sends the browser to the
saved quote (HX-Redirect). The plain form posts keep answering the whole page; the URL says which it
answered in ``Vary: HX-Request``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers
from django.views.generic import TemplateView, View
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_tables2 import SingleTableMixin

from partnerportal.views import PartnerMemberRequiredMixin

from . import pricing, selectors, services
from .effects import Effect, applied_effect, stored_effect
from .forms import QuoteForm, basket_formset
from .models import Product, Quote
from .pdf import quote_pdf
from .tables import QuoteTable

UNIT_NAMES = dict(Product.Unit.choices)
MONTHLY, ONE_OFF = Product.Billing.MONTHLY, Product.Billing.ONE_OFF


@dataclass(frozen=True)
class LineRow:
    """A priced line, from the engine (calculator) or from a saved quote (detail)."""

    name: str
    code: str
    unit: str
    billing: str
    quantity: int
    list_unit_price: Decimal
    unit_price: Decimal
    total: Decimal
    effects: list[Effect] = field(default_factory=list)

    @property
    def list_total(self) -> Decimal:
        return self.list_unit_price * self.quantity

    @property
    def discounted(self) -> bool:
        return self.unit_price < self.list_unit_price


@dataclass(frozen=True)
class Totals:
    monthly: Decimal
    one_off: Decimal
    monthly_saving: Decimal
    one_off_saving: Decimal

    @property
    def saving(self) -> Decimal:
        return self.monthly_saving + self.one_off_saving


def _totals(rows: list[LineRow], *, monthly: Decimal, one_off: Decimal) -> Totals:
    def saving(billing):
        return sum((row.list_total - row.total for row in rows if row.billing == billing), Decimal("0"))

    return Totals(monthly, one_off, saving(MONTHLY), saving(ONE_OFF))


def priced_rows(basket: pricing.PricedBasket) -> list[LineRow]:
    return [
        LineRow(
            name=line.item.name,
            code=line.item.code,
            unit=UNIT_NAMES.get(line.item.unit, line.item.unit),
            billing=line.item.billing,
            quantity=line.quantity,
            list_unit_price=line.item.list_price,
            unit_price=line.unit_price,
            total=line.total,
            effects=[applied_effect(a) for a in line.applied],
        )
        for line in basket.lines
    ]


def saved_rows(quote: Quote) -> list[LineRow]:
    return [
        LineRow(
            name=line.name,
            code=line.code,
            unit=line.get_unit_display(),
            billing=line.billing,
            quantity=line.quantity,
            list_unit_price=line.list_unit_price,
            unit_price=line.unit_price,
            total=line.total,
            effects=[stored_effect(p) for p in line.promotions if isinstance(p, dict)],
        )
        for line in quote.lines.all()
    ]


def result_of(pricing_result: selectors.Pricing | None) -> dict | None:
    """The priced basket as ``promos/_result.html`` shows it."""
    if pricing_result is None:
        return None
    lines = priced_rows(pricing_result.basket)
    return {
        "lines": lines,
        "totals": _totals(
            lines, monthly=pricing_result.basket.monthly_total, one_off=pricing_result.basket.one_off_total
        ),
        "tier": pricing_result.tier,
        "as_of": pricing_result.standing.as_of,
    }


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class QuoteCalculatorView(PartnerMemberRequiredMixin, TemplateView):
    """The promotions the partner may use now, within reach and with the next tier; the basket; its prices."""

    template_name = "promos/quote_calculator.html"

    def get_context_data(self, *, rows=None, quote_form=None, pricing_result=None, **kwargs):
        today = self.request.tenant.today()
        standing = (
            pricing_result.standing
            if pricing_result is not None
            else selectors.promotion_standing(partner=self.partner, as_of=today)
        )
        if rows is None:
            rows = basket_formset(catalogue=self.catalogue())
            quote_form = QuoteForm(flags=self.flags())
        return super().get_context_data(
            standing=standing,
            rows=rows,
            quote_form=quote_form,
            result=result_of(pricing_result),
            catalogue_size=len(self.catalogue()),
            **kwargs,
        )

    def fragment(self, template: str, **context):
        """An htmx answer: one partial of the page, with only what it shows (no promotions' standing)."""
        return TemplateResponse(
            self.request,
            template,
            {"catalogue_size": len(self.catalogue()), "partner": self.partner, **context},
        )

    def catalogue(self):
        if not hasattr(self, "_catalogue"):
            self._catalogue = selectors.catalogue_for(partner=self.partner)
        return self._catalogue

    def flags(self):
        if not hasattr(self, "_flags"):
            self._flags = list(selectors.order_flag_list(tenant=self.request.tenant))
        return self._flags

    def post(self, request):
        action = request.POST.get("action")
        more_rows = action == "more_rows"
        rows = basket_formset(
            request.POST, catalogue=self.catalogue(), require_lines=not more_rows, more_rows=more_rows
        )
        quote_form = QuoteForm(request.POST, flags=self.flags())
        if more_rows:
            if request.htmx:  # the rows are in the basket card, not in the result the form targets
                response = self.fragment("promos/_basket.html", rows=rows, quote_form=quote_form)
                return reswap(retarget(response, "#basket"), "outerHTML")
            return self.render_to_response(self.get_context_data(rows=rows, quote_form=quote_form))
        if not (rows.is_valid() and quote_form.is_valid()):
            return self.invalid(rows, quote_form, saving=action == "save")
        basket = {
            "partner": self.partner,
            "quantities": rows.quantities(),
            "flags": quote_form.cleaned_data["flags"],
            "as_of": request.tenant.today(),
        }
        try:
            if action == "save":
                quote = services.quote_create(
                    by=request.user, title=quote_form.cleaned_data["title"], **basket
                )
            else:
                result = selectors.basket_price(**basket)
        except selectors.BasketError as error:
            return self.invalid(rows, quote_form, saving=action == "save", basket_error=str(error))
        if action == "save":
            messages.success(
                request, _("Your quote %(reference)s is saved.") % {"reference": quote.reference}
            )
            if request.htmx:  # a new page: the browser goes there, and the message waits for it
                return HttpResponseClientRedirect(reverse("promos:quote-detail", kwargs={"pk": quote.pk}))
            return redirect("promos:quote-detail", pk=quote.pk)
        if request.htmx:
            return self.fragment("promos/_result.html", result=result_of(result))
        return self.render_to_response(
            self.get_context_data(rows=rows, quote_form=quote_form, pricing_result=result)
        )

    def invalid(self, rows, quote_form, *, saving: bool, basket_error: str = ""):
        """The page again with the errors at the rows (400), or for htmx the result with the errors listed
        row by row (200: htmx swaps only successful answers); nothing was saved."""
        if self.request.htmx:
            return self.fragment(
                "promos/_result.html",
                rows=rows,
                quote_form=quote_form,
                invalid=True,
                saving=saving,
                basket_error=basket_error,
            )
        if saving:
            # "Save" goes back to the top of the page, which the errors are far from: say it there too.
            messages.error(self.request, _("The quote is not saved: the basket below needs a correction."))
        context = self.get_context_data(
            rows=rows, quote_form=quote_form, invalid=True, basket_error=basket_error
        )
        return self.render_to_response(context, status=400)


class QuoteListView(PartnerMemberRequiredMixin, SingleTableMixin, TemplateView):
    """Mes devis: the partner's saved quotes, newest first."""

    template_name = "promos/quote_list.html"
    table_class = QuoteTable
    table_pagination = {"per_page": 15}

    def get_table_data(self):
        return selectors.quote_list(partner=self.partner)


class QuoteDetailView(PartnerMemberRequiredMixin, TemplateView):
    """A saved quote, as it was priced that day; looked up through the partner (404 for anyone else's)."""

    template_name = "promos/quote_detail.html"

    def get_context_data(self, pk, **kwargs):
        quote = get_object_or_404(selectors.quote_list(partner=self.partner), pk=pk)
        lines = saved_rows(quote)
        names = (
            {flag.code: flag.name for flag in selectors.order_flag_list(tenant=self.request.tenant)}
            if quote.flags
            else {}
        )
        return super().get_context_data(
            quote=quote,
            lines=lines,
            totals=_totals(lines, monthly=quote.monthly_total, one_off=quote.one_off_total),
            flags=[names.get(code, code) for code in quote.flags],
            **kwargs,
        )


class QuotePdfView(PartnerMemberRequiredMixin, View):
    """A saved quote as a PDF download, in the reader's language; looked up through the partner like the
    detail page (404 for anyone else's)."""

    def get(self, request, pk):
        quote = get_object_or_404(selectors.quote_list(partner=self.partner), pk=pk)
        return HttpResponse(
            quote_pdf(quote),
            content_type="application/pdf",
            headers={
                "Content-Disposition": content_disposition_header(
                    as_attachment=True, filename=f"{quote.reference}.pdf"
                )
            },
        )
