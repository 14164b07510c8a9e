"""Mes devoirs: the checklist, evidence, the development plan and the sales forecasts.

Sending evidence (a document, a training) answers two ways from one URL: a plain form post redirects to
the checklist with a message (errors: the page again, 400), as without JavaScript; an htmx request
(``request.htmx``) gets the duty's card alone (``obligations/_fulfilment.html``, the one the page
includes), with its new state and the message, or with the form and its errors. htmx swaps only 2xx
answers by default, so the card with errors comes back as 200 on that path. The duty is looked up through
the partner first on both paths (404 for anyone else's).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.vary import vary_on_headers
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from partnerportal.admin_site import is_tenant_manager
from partnerportal.models import Membership
from partnerportal.views import PartnerMemberRequiredMixin

from . import selectors, services
from .charts import plan_chart
from .forms import DocumentForm, ForecastForm, PlanForm, TrainingForm
from .models import DutyFulfilment, EvidenceKind, ProductLine, next_quarter, quarter_label, quarter_start
from .storage import private_storage
from .tables import DutyFulfilmentTable
from .uploads import SizeLimitUploadHandler, max_bytes

# The profiles that commit the company to figures: administrators and sales ("profil vente"); technical
# people read the plan and forecasts. Evidence may be sent by anyone of the partner.
PLANNERS = (Membership.Role.ADMIN, Membership.Role.SALES)


class DutyListView(PartnerMemberRequiredMixin, SingleTableMixin, TemplateView):
    """Mes devoirs: the compliance score, what is overdue, and the checklist (sortable, paginated)."""

    template_name = "obligations/duty_list.html"
    table_class = DutyFulfilmentTable
    table_pagination = {"per_page": 15}

    def get_table_data(self):
        return selectors.fulfilment_list(partner=self.partner)

    def get_table_kwargs(self):
        return {"today": self.request.tenant.today(), "tenant": self.request.tenant}

    def get_context_data(self, **kwargs):
        today = self.request.tenant.today()
        return super().get_context_data(
            compliance=selectors.compliance_for(partner=self.partner, today=today), today=today, **kwargs
        )


class FulfilmentMixin(PartnerMemberRequiredMixin):
    def get_fulfilment(self, pk) -> DutyFulfilment:
        fulfilment = selectors.fulfilment_get(partner=self.partner, pk=pk)
        if fulfilment is None:
            raise Http404
        return fulfilment


class FulfilmentDetailView(FulfilmentMixin, TemplateView):
    template_name = "obligations/fulfilment_detail.html"

    def get_context_data(self, pk, form=None, **kwargs):
        fulfilment = self.get_fulfilment(pk)
        evidence = fulfilment.duty.evidence
        if form is None and fulfilment.is_open:
            if evidence == EvidenceKind.DOCUMENT:
                form = DocumentForm()
            elif evidence == EvidenceKind.TRAINING:
                form = TrainingForm(partner=self.partner, initial={"course": fulfilment.duty.title})
        today = self.request.tenant.today()
        return super().get_context_data(
            fulfilment=fulfilment,
            form=form,
            overdue=fulfilment.is_overdue(today, tenant=self.request.tenant),
            **kwargs,
        )


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class EvidenceView(FulfilmentDetailView):
    """A POST of evidence for the duty; answers the page or, for htmx, the duty's card (see the docstring)."""

    http_method_names = ["post"]
    fragment_template = "obligations/_fulfilment.html"

    def get_template_names(self):
        return [self.fragment_template] if self.request.htmx else super().get_template_names()

    def submitted(self, pk, text: str):
        """The evidence is sent: the checklist with a message, or the duty's card in its new state."""
        if not self.request.htmx:
            messages.success(self.request, text)
            return redirect("obligations:duty-list")
        return self.render_to_response(self.get_context_data(pk=pk, flash={"level": "success", "text": text}))

    def refused(self, pk, form, *, status: int = 400):
        """The form again with its errors: the page (``status``), or the duty's card for htmx (200)."""
        return self.render_to_response(
            self.get_context_data(pk=pk, form=form), status=200 if self.request.htmx else status
        )


# The body may carry the form's other fields (the CSRF token, the multipart headers) besides the file.
FORM_MARGIN = 64 * 1024


def _too_big(form: DocumentForm) -> DocumentForm:
    form.errors.pop("document", None)
    form.add_error(
        "document",
        ValidationError(
            _("This file is over the limit of %(limit)s."),
            code="too_big",
            params={"limit": filesizeformat(max_bytes())},
        ),
    )
    return form


# Exempt here only to install the size limit before anything reads the body: CsrfViewMiddleware reads
# request.POST, which would parse (and store) the whole upload first. ``post`` checks the token itself, with
# csrf_protect, right after (Django's docs, "Modifying upload handlers on the fly").
@method_decorator(csrf_exempt, name="dispatch")
class FulfilmentUploadView(EvidenceView):
    """Evidence upload. A body over the limit is refused unread (from its Content-Length); one that lies
    about its length, or has none, is cut off by ``SizeLimitUploadHandler`` once past the limit."""

    def post(self, request, pk):
        fulfilment = self.get_fulfilment(pk)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes() + FORM_MARGIN:
            return self.refused(pk, _too_big(DocumentForm(data={})), status=413)
        limit = SizeLimitUploadHandler(request, limit=max_bytes())
        request.upload_handlers.insert(0, limit)
        return csrf_protect(self.upload)(request, pk, fulfilment=fulfilment, limit=limit)

    def upload(self, request, pk, *, fulfilment, limit):
        form = DocumentForm(request.POST, request.FILES)
        if limit.exceeded:
            form = _too_big(form)
        elif form.is_valid():
            try:
                services.fulfilment_submit_document(
                    fulfilment=fulfilment, upload=form.cleaned_data["document"], by=request.user
                )
            except ValidationError as exc:
                form.add_error("document" if fulfilment.is_open else None, exc)
            else:
                return self.submitted(pk, _("Thank you: your document was sent for review."))
        return self.refused(pk, form)


class FulfilmentTrainingView(EvidenceView):
    def post(self, request, pk):
        fulfilment = self.get_fulfilment(pk)
        form = TrainingForm(request.POST, partner=self.partner)
        if form.is_valid():
            try:
                services.fulfilment_submit_training(
                    fulfilment=fulfilment, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                return self.submitted(pk, _("Thank you: your training was sent for review."))
        return self.refused(pk, form)


class FulfilmentDocumentView(LoginRequiredMixin, View):
    """The evidence file, to the partner's own people and to the tenant's managers; 404 to anyone else.

    Served from the private storage as an attachment (never rendered inline in the portal's origin), under
    the display name the person gave, and the content type checked at upload.
    """

    def get(self, request, pk):
        if request.partner is not None:
            queryset = DutyFulfilment.objects.filter(partner=request.partner)
        elif is_tenant_manager(request) and request.tenant is not None:
            queryset = DutyFulfilment.objects.filter(tenant=request.tenant)
        else:
            raise Http404
        fulfilment = queryset.filter(pk=pk).exclude(document="").first()
        if fulfilment is None:
            raise Http404
        try:
            handle = private_storage().open(fulfilment.document.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=fulfilment.document_name or "document",
            content_type=fulfilment.document_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _year(request, today: dt.date) -> int:
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        raise Http404 from None
    if not today.year - 5 <= year <= today.year + 1:
        raise Http404
    return year


class PlanView(PartnerMemberRequiredMixin, TemplateView):
    """The year's development plan: quarterly objectives per product line, and objective / forecast /
    actual per quarter with a chart. Administrators and sales people edit it."""

    template_name = "obligations/plan.html"

    def get_context_data(self, form=None, **kwargs):
        today = self.request.tenant.today()
        year = _year(self.request, today)
        plan = selectors.plan_get(partner=self.partner, year=year)
        objectives = selectors.plan_objectives(partner=self.partner, year=year)
        if form is None:
            form = PlanForm(initial=PlanForm.initial_from(objectives, plan.notes if plan else ""))
        quarters = selectors.plan_quarters(
            partner=self.partner, year=year, today=today, objectives=objectives
        )
        return super().get_context_data(
            year=year,
            years=[today.year - 1, today.year, today.year + 1],
            plan=plan,
            form=form,
            product_lines=ProductLine.choices,
            can_edit=self.request.membership.role in PLANNERS,
            quarters=quarters,
            chart=plan_chart(
                quarters=quarters,
                label=_("Objective, forecast and actual revenue per quarter of %(year)s") % {"year": year},
            ),
            **kwargs,
        )

    def post(self, request):
        if request.membership.role not in PLANNERS:
            raise PermissionDenied(_("Only administrators and sales people edit the plan."))
        year = _year(request, request.tenant.today())
        form = PlanForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        services.plan_save(
            partner=self.partner,
            year=year,
            objectives=form.objectives(),
            notes=form.cleaned_data["notes"],
            by=request.user,
        )
        messages.success(request, _("Your development plan for %(year)s was saved.") % {"year": year})
        return redirect(f"{request.path}?year={year}")


class ForecastView(PartnerMemberRequiredMixin, TemplateView):
    """The quarter's sales forecast (the current quarter or the next), and the forecasts so far."""

    template_name = "obligations/forecasts.html"

    def quarters(self) -> list[tuple[str, str]]:
        current = quarter_start(self.request.tenant.today())
        return [(q.isoformat(), quarter_label(q)) for q in (current, next_quarter(current))]

    def get_context_data(self, form=None, **kwargs):
        today = self.request.tenant.today()
        year = _year(self.request, today)
        quarters = selectors.plan_quarters(partner=self.partner, year=year, today=today)
        rows = [
            {
                "figures": figures,
                "lines": [
                    (name, figures.objectives.get(line), figures.forecasts.get(line))
                    for line, name in ProductLine.choices
                ],
            }
            for figures in quarters
        ]
        current = quarter_start(today)
        initial = {"quarter": current.isoformat()}
        if current.year == year:  # the current quarter's forecast, to correct it
            initial.update(next(f.forecasts for f in quarters if f.start == current))
        return super().get_context_data(
            year=year,
            form=form or ForecastForm(quarters=self.quarters(), initial=initial),
            can_edit=self.request.membership.role in PLANNERS,
            rows=rows,
            chart=plan_chart(
                quarters=quarters,
                label=_("Objective, forecast and actual revenue per quarter of %(year)s") % {"year": year},
            ),
            **kwargs,
        )

    def post(self, request):
        if request.membership.role not in PLANNERS:
            raise PermissionDenied(_("Only administrators and sales people submit forecasts."))
        form = ForecastForm(request.POST, quarters=self.quarters())
        if form.is_valid():
            try:
                services.forecast_submit(
                    partner=self.partner,
                    quarter=dt.date.fromisoformat(form.cleaned_data["quarter"]),
                    amounts=form.amounts(),
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your forecast was submitted."))
                return redirect("obligations:forecasts")
        return self.render_to_response(self.get_context_data(form=form), status=400)
