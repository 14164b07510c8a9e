"""The public pages of a tenant's programme: its description, the application form and the thank-you page.

No sign-in: anyone on the tenant's host sees them (``request.tenant`` is the host's tenant; nothing of
another tenant is read). The form is guarded without a third-party service: a honeypot field that only
robots fill in (their submission is discarded, and answered as a success so they learn nothing) and a
limit of POSTs per client address (ratelimit.py), answered with a 429 page that says when to try again.
"""

import logging

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.dates import MONTHS
from django.utils.translation import get_language
from django.views import View
from django.views.generic import TemplateView

from . import ratelimit, selectors, services
from .forms import ApplicationForm

logger = logging.getLogger("recruitment")


class ProgrammeView(TemplateView):
    template_name = "recruitment/programme.html"

    def get_context_data(self, **kwargs):
        programme = selectors.programme_get(tenant=self.request.tenant)
        months = [MONTHS[m] for m in programme.evaluation_months if m in MONTHS]
        return super().get_context_data(programme=programme, evaluation_months=months, **kwargs)


class ApplyView(View):
    template_name = "recruitment/apply.html"
    http_method_names = ["get", "head", "post"]

    def get(self, request):
        return self.page(request, ApplicationForm(tenant=request.tenant))

    def post(self, request):
        if not ratelimit.apply_allowed(request):
            response = render(request, "recruitment/apply_limited.html", status=429)
            response["Retry-After"] = str(ratelimit.retry_after_seconds())
            return response
        form = ApplicationForm(request.POST, tenant=request.tenant)
        if form.is_robot:
            logger.info("Application discarded: the honeypot was filled in (tenant %s).", request.tenant.pk)
            return redirect("recruitment:apply-done")
        if not form.is_valid():
            return self.page(request, form)
        data = form.cleaned_data
        try:
            services.application_submit(
                tenant=request.tenant,
                data=services.ApplicationData(
                    legal_name=data["legal_name"],
                    siren=data["siren"],
                    siret=data["siret"],
                    partner_type=data["partner_type"],
                    operator_plan=data.get("operator_plan"),
                    postal_code=data["postal_code"],
                    city=data["city"],
                    region=data["region"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone=data["phone"],
                    products=data["products"],
                    message=data["message"],
                    website=data["website"],
                ),
                language=_language(request),
            )
        except services.ApplicationError as error:
            form.add_error("company_number" if error.code == "duplicate" else None, error)
            return self.page(request, form)
        return redirect("recruitment:apply-done")

    def page(self, request, form):
        return render(request, self.template_name, {"form": form})


def _language(request) -> str:
    """The language the form was filled in: the partner's, for the e-mails the applicant gets."""
    language = get_language()
    return language if language in dict(settings.LANGUAGES) else request.tenant.default_language


class ApplyDoneView(TemplateView):
    template_name = "recruitment/apply_done.html"
