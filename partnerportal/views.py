"""Partner-facing pages of the core app: home, "Mon équipe", "Mon entreprise", invitations."""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import SingleTableMixin

from . import activity, selectors, services
from .adapters import SESSION_INVITATION_KEY
from .forms import InvitationForm, InvitationPasswordForm, MembershipRoleForm, PartnerContactForm
from .models import Membership, User
from .tables import InvitationTable, MembershipTable


class PartnerMemberRequiredMixin(LoginRequiredMixin):
    """The signed-in person belongs to a partner of this tenant; ``self.partner`` is that partner.

    Managers and the superuser have no partner: they work in the back-office, so they are sent there.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                # The session ended while the page was open: send the whole page to the sign-in, not a
                # sign-in form swapped into a card.
                current = request.htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(
                    f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': current})}"
                )
            return self.handle_no_permission()
        if request.partner is None:
            return redirect("admin:index")
        self.partner = request.partner
        return super().dispatch(request, *args, **kwargs)


class PartnerAdminRequiredMixin(PartnerMemberRequiredMixin):
    """Only the partner's administrators (the seeds' "profil admin") may manage its team and data."""

    def dispatch(self, request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        if request.user.is_authenticated and membership and not membership.is_partner_admin:
            raise PermissionDenied(_("Only your company's administrators can do this."))
        return super().dispatch(request, *args, **kwargs)


class HomeView(PartnerMemberRequiredMixin, TemplateView):
    """The partner's home: its tier and the way to the next, what needs doing, what changed lately, and
    the way to each section. A fixed number of queries, whatever the partner's history (activity.py)."""

    template_name = "partnerportal/home.html"

    def get_context_data(self, **kwargs):
        partner = self.partner
        today = partner.tenant.today()
        return super().get_context_data(
            standing=activity.standing(partner, today),
            todos=activity.todos(partner, today),
            events=activity.recent_events(partner),
            standing_template=activity.standing_template(),
            todo_links=[(reverse(name), label) for name, label in activity.todo_links()],
            **kwargs,
        )


class TeamView(PartnerMemberRequiredMixin, SingleTableMixin, TemplateView):
    """Mon équipe: everyone sees the team; administrators also invite, change profiles and remove."""

    template_name = "partnerportal/team.html"
    table_class = MembershipTable
    table_pagination = False

    def get_table_data(self):
        return selectors.membership_list(partner=self.partner)

    def get_table_kwargs(self):
        return {"request": self.request, "can_manage": self.request.membership.is_partner_admin}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.membership.is_partner_admin:
            context["invitation_form"] = kwargs.get("invitation_form") or InvitationForm(
                partner=self.partner, tenant=self.request.tenant
            )
            context["validity_days"] = settings.INVITATION_VALIDITY_DAYS
            context["invitation_table"] = InvitationTable(
                selectors.invitation_list_pending(partner=self.partner), request=self.request
            )
        return context


class InvitationCreateView(PartnerAdminRequiredMixin, TeamView):
    """The invite form of "Mon équipe"; an invalid form is shown again on the team page."""

    http_method_names = ["post"]

    def post(self, request):
        form = InvitationForm(request.POST, partner=self.partner, tenant=request.tenant)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(invitation_form=form), status=400)
        invitation = services.invitation_issue(
            invitation=form.instance, invited_by=request.user, base_url=request.build_absolute_uri("/")
        )
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("partnerportal:team")


class InvitationRevokeView(PartnerAdminRequiredMixin, View):
    def post(self, request, pk):
        queryset = selectors.invitation_list_pending(partner=self.partner)
        invitation = get_object_or_404(queryset, pk=pk)
        services.invitation_revoke_many(invitations=queryset.filter(pk=invitation.pk))
        messages.success(request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email})
        return redirect("partnerportal:team")


class MembershipUpdateView(PartnerAdminRequiredMixin, View):
    def post(self, request, pk):
        membership = get_object_or_404(selectors.membership_list(partner=self.partner), pk=pk)
        form = MembershipRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid profile."))
            return redirect("partnerportal:team")
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(person)s is now %(role)s.")
                % {"person": membership.user, "role": membership.get_role_display()},
            )
        return redirect("partnerportal:team")


class MembershipDeleteView(PartnerAdminRequiredMixin, View):
    template_name = "partnerportal/membership_confirm_delete.html"

    def get_membership(self, pk) -> Membership:
        return get_object_or_404(selectors.membership_list(partner=self.partner), pk=pk)

    def get(self, request, pk):
        return render(request, self.template_name, {"member": self.get_membership(pk)})

    def post(self, request, pk):
        membership = self.get_membership(pk)
        try:
            services.membership_remove(membership=membership, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("%(person)s no longer has access.") % {"person": membership.user})
        return redirect("partnerportal:team")


class CompanyView(PartnerMemberRequiredMixin, TemplateView):
    """Mon entreprise: the partner's identity and contact data; administrators may edit the contact data."""

    template_name = "partnerportal/company.html"

    def get_context_data(self, **kwargs):
        can_edit = self.request.membership.is_partner_admin
        form = kwargs.pop("form", None) or (PartnerContactForm(instance=self.partner) if can_edit else None)
        return super().get_context_data(form=form, can_edit=can_edit, **kwargs)

    def post(self, request):
        if not request.membership.is_partner_admin:
            raise PermissionDenied(_("Only your company's administrators can do this."))
        form = PartnerContactForm(request.POST, instance=self.partner)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        services.partner_update_contact(partner=self.partner, data=form.cleaned_data)
        messages.success(request, _("Your company's details were saved."))
        return redirect("partnerportal:company")


class InvitationAcceptView(View):
    """The link in an invitation e-mail.

    A new person is sent to sign-up with the invitation in the session (see adapters.py). A person who
    already has an account (in another programme, say) confirms with their password instead. A link that
    is unknown, expired, used or revoked gets one page that says so, whatever the reason.
    """

    template_name = "partnerportal/invitation_accept.html"

    def get_invitation(self, token):
        invitation = selectors.invitation_get_by_token(token=token)
        if invitation is None:
            raise Http404
        return invitation

    def dispatch(self, request, token):
        self.invitation = self.get_invitation(token)
        if not self.invitation.is_pending:
            return render(request, "partnerportal/invitation_invalid.html", status=410)
        self.existing_user = User.objects.filter(email__iexact=self.invitation.email).first()
        return super().dispatch(request, token)

    def get(self, request, token):
        if self.existing_user is None:
            request.session[SESSION_INVITATION_KEY] = self.invitation.pk
            get_account_adapter(request).stash_verified_email(request, self.invitation.email)
            return redirect(reverse("account_signup") + "?" + urlencode({"email": self.invitation.email}))
        return render(
            request, self.template_name, {"invitation": self.invitation, "form": InvitationPasswordForm()}
        )

    def post(self, request, token):
        if self.existing_user is None:
            return self.get(request, token)
        form = InvitationPasswordForm(request.POST)
        user = None
        # The same failed-login rate limit as allauth's sign-in form, keyed on the invited address.
        rate_key = self.invitation.email.lower()
        if not ratelimit.consume(request, action="login_failed", key=rate_key, dry_run=True):
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            context = {"invitation": self.invitation, "form": form}
            return render(request, self.template_name, context, status=429)
        if form.is_valid():
            user = authenticate(request, email=self.invitation.email, password=form.cleaned_data["password"])
            if user is None:
                ratelimit.consume(request, action="login_failed", key=rate_key)
                form.add_error(
                    "password",
                    _("This password is not the right one for %(email)s.") % {"email": self.invitation.email},
                )
        if user is None:
            context = {"invitation": self.invitation, "form": form}
            return render(request, self.template_name, context, status=400)
        try:
            services.invitation_accept(invitation=self.invitation, user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return render(request, "partnerportal/invitation_invalid.html", status=410)
        messages.success(
            request, _("Welcome to %(tenant)s's partner portal.") % {"tenant": request.tenant.name}
        )
        return perform_login(
            request,
            user,
            email_verification=settings.ACCOUNT_EMAIL_VERIFICATION,
            redirect_url=reverse("partnerportal:home"),
        )


def branding_css(request):
    """The tenant's colours as CSS custom properties: a stylesheet, so the CSP needs no inline style."""
    tenant = request.tenant
    css = f":root {{ --brand-primary: {tenant.primary_colour}; --brand-accent: {tenant.accent_colour}; }}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
