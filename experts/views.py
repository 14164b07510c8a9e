"""Experts Zen in the portal: the directory (every partner), the partner's own expert page (profile, price
grid, applications and their checklists, the tests), a test attempt, and the assignments it was mandated.

Every object is looked up through the partner (attempts through the person who took them): 404 for anyone
else's. Writes go through the services; their refusals come back as messages.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from partnerportal.views import PartnerAdminRequiredMixin, PartnerMemberRequiredMixin

from . import selectors, services
from .forms import DirectorySearchForm, DoneForm, ExpertProfileForm, RefuseForm
from .models import Choice, Expert, Question

DIRECTORY_LIMIT = 100


class DirectoryView(PartnerMemberRequiredMixin, TemplateView):
    """The directory: every partner of the tenant may search it (seed: a Starter benefit)."""

    template_name = "experts/directory.html"

    def get_context_data(self, **kwargs):
        tenant = self.request.tenant
        form = DirectorySearchForm(
            self.request.GET or None, specialities=selectors.speciality_list(tenant=tenant)
        )
        speciality, departement = None, ""
        if form.is_bound and form.is_valid():
            speciality, departement = form.cleaned_data["speciality"], form.cleaned_data["departement"]
        experts = selectors.directory_list(
            tenant=tenant, today=tenant.today(), speciality=speciality, departement=departement
        )
        return super().get_context_data(
            form=form,
            experts=list(experts[:DIRECTORY_LIMIT]),
            limit=DIRECTORY_LIMIT,
            searched=bool(speciality or departement),
            programme=selectors.programme_get(tenant=tenant),
            **kwargs,
        )


class ExpertProfileView(PartnerMemberRequiredMixin, TemplateView):
    """Mon expertise: the checklist of each speciality, the profile, the price grid, the tests. Everyone of
    the partner reads it and takes the tests; its administrators edit the profile and apply."""

    template_name = "experts/profile.html"

    def get_context_data(self, form=None, **kwargs):
        tenant, partner = self.request.tenant, self.partner
        programme = selectors.programme_get(tenant=tenant)
        expert = selectors.expert_get(partner=partner)
        context = {"programme": programme, "expert": expert, **kwargs}
        if programme is None:
            return super().get_context_data(**context)
        # A fixed number of queries whatever the specialities: the facts once, the specialities in one.
        now = timezone.now()
        today = tenant.today()
        facts = selectors.facts_for(
            programme=programme,
            partner=partner,
            today=today,
            expert=expert,
        )
        specialities = []
        for row in selectors.speciality_rows(
            tenant=tenant, partner=partner, expert=expert, since=selectors.validity_start(programme, now)
        ):
            test = getattr(row, "test", None)
            certified = row.expires_on is not None and row.expires_on >= today
            specialities.append(
                {
                    "speciality": row,
                    "applied": row.applied,
                    "expires_on": row.expires_on,
                    "certified": certified,
                    "checklist": selectors.checklist_of(
                        programme=programme, facts=facts, expert=expert, speciality=row
                    )
                    if row.applied and not certified
                    else None,
                    "test": test if test is not None and test.is_active else None,
                }
            )
        context.update(
            form=form or ExpertProfileForm(instance=expert or Expert(partner=partner)),
            specialities=specialities,
            grid_accepted=expert is not None and expert.price_grid_version == programme.price_grid_version,
            attempts=selectors.attempt_list(partner=partner).filter(membership=self.request.membership)[:10],
            is_admin=self.request.membership.is_partner_admin,
        )
        return super().get_context_data(**context)

    def post(self, request):
        if not request.membership.is_partner_admin:
            raise PermissionDenied(_("Only your company's administrators can do this."))
        expert = selectors.expert_get(partner=self.partner)
        form = ExpertProfileForm(request.POST, instance=expert or Expert(partner=self.partner))
        if form.is_valid():
            try:
                services.expert_profile_save(
                    partner=self.partner,
                    departements=form.cleaned_data["departements"],
                    intervention_hours=form.cleaned_data["intervention_hours"],
                    contact_name=form.cleaned_data["contact_name"],
                    contact_email=form.cleaned_data["contact_email"],
                    contact_phone=form.cleaned_data["contact_phone"],
                )
            except services.ExpertError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("experts:profile")
            messages.success(request, _("Your expert profile is saved."))
            return redirect("experts:profile")
        return self.render_to_response(self.get_context_data(form=form))


class PriceGridAcceptView(PartnerAdminRequiredMixin, View):
    def post(self, request):
        try:
            services.price_grid_accept(partner=self.partner, by=request.user)
        except services.ExpertError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You accepted the Zen price grid."))
        return redirect("experts:profile")


class SpecialityApplyView(PartnerAdminRequiredMixin, View):
    def post(self, request, pk):
        speciality = get_object_or_404(selectors.speciality_list(tenant=request.tenant), pk=pk)
        try:
            application = services.speciality_apply(partner=self.partner, speciality=speciality)
        except services.ExpertError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("experts:profile")
        if application.is_certified(request.tenant.today()):
            messages.success(
                request,
                _("You are certified on %(speciality)s and listed in the directory.")
                % {"speciality": speciality},
            )
        else:
            messages.warning(
                request,
                _("Your application for %(speciality)s is recorded: complete its checklist to be certified.")
                % {"speciality": speciality},
            )
        return redirect(f"{reverse('experts:profile')}#speciality-{speciality.pk}")


class AttemptStartView(PartnerMemberRequiredMixin, View):
    def post(self, request, pk):
        test = get_object_or_404(selectors.test_list(tenant=request.tenant), pk=pk)
        try:
            attempt = services.attempt_start(membership=request.membership, test=test)
        except services.ExpertError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("experts:profile")
        return redirect("experts:attempt", pk=attempt.pk)


class AttemptView(PartnerMemberRequiredMixin, TemplateView):
    """One attempt: its drawn questions (texts and choices, never which are correct) until submitted,
    then the score."""

    template_name = "experts/attempt.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.partner is not None:
            self.attempt = get_object_or_404(
                selectors.attempt_list(partner=request.partner).filter(membership=request.membership),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        attempt = self.attempt
        questions = []
        if attempt.submitted_at is None:
            drawn = attempt.drawn
            texts = dict(Question.objects.filter(pk__in=[q for q, _ in drawn]).values_list("pk", "text"))
            choice_ids = [c for _, order in drawn for c in order]
            # Only the text: the "correct" flag is never read for the page.
            choice_texts = dict(Choice.objects.filter(pk__in=choice_ids).values_list("pk", "text"))
            for number, (question_id, order) in enumerate(drawn, start=1):
                questions.append(
                    {
                        "number": number,
                        "id": question_id,
                        "text": texts.get(question_id, ""),
                        "choices": [(c, choice_texts[c]) for c in order if c in choice_texts],
                    }
                )
        return super().get_context_data(attempt=attempt, questions=questions, now=timezone.now(), **kwargs)

    def post(self, request, pk):
        answers: dict[int, list[int]] = {}
        try:
            for key in request.POST:
                if key.startswith("q"):
                    answers[int(key[1:])] = [int(v) for v in request.POST.getlist(key)]
        except ValueError:
            messages.error(request, _("These answers do not match the questions you were given."))
            return redirect("experts:attempt", pk=pk)
        try:
            attempt = services.attempt_submit(attempt=self.attempt, answers=answers)
        except services.ExpertError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("experts:attempt", pk=pk)
        if attempt.passed:
            messages.success(request, _("Passed, with %(score)d %%.") % {"score": attempt.score})
        else:
            messages.warning(request, _("Not passed: %(score)d %%.") % {"score": attempt.score})
        return redirect("experts:attempt", pk=pk)


class AssignmentListView(PartnerMemberRequiredMixin, TemplateView):
    template_name = "experts/assignment_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            assignments=selectors.assignment_list(partner=self.partner)[:50],
            refuse_form=RefuseForm(auto_id=False),
            done_form=DoneForm(auto_id=False),
            now=timezone.now(),
            **kwargs,
        )


class AssignmentActionView(PartnerMemberRequiredMixin, View):
    def post(self, request, pk):
        assignment = get_object_or_404(selectors.assignment_list(partner=self.partner), pk=pk)
        try:
            text = self.act(request, assignment)
        except services.ExpertError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, text)
        return redirect("experts:assignment-list")


class AssignmentAcceptView(AssignmentActionView):
    def act(self, request, assignment):
        services.assignment_accept(assignment=assignment, by=request.user)
        return _("You accepted the intervention for %(client)s.") % {"client": assignment.client}


class AssignmentRefuseView(AssignmentActionView):
    def act(self, request, assignment):
        form = RefuseForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        services.assignment_refuse(assignment=assignment, by=request.user, reason=reason)
        return _("You refused the intervention for %(client)s.") % {"client": assignment.client}


class AssignmentDoneView(AssignmentActionView):
    def act(self, request, assignment):
        form = DoneForm(request.POST)
        if not form.is_valid():
            raise services.ExpertError(_("Enter the date and time of the intervention."))
        services.assignment_done(assignment=assignment, at=form.cleaned_data["done_at"])
        return _("The intervention for %(client)s is recorded as done.") % {"client": assignment.client}
