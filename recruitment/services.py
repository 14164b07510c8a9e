"""Writes of the recruitment app: an application from the public form, its checklist and the decision.

Each decision locks the application's row and starts from its state, so an application is accepted or
refused once, whoever clicks twice; who decided and when is kept on the row and in its history. E-mails
are queued after commit by receivers of this app's signals (managers told of a new application, the
applicant of a refusal); the acceptance's invitation goes through the core's ``invitation_create``, which
sends its own e-mail after commit.
"""

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.formatting import date_format
from partnerportal.models import Membership, OperatorPlan, Partner, PartnerType, Tenant, User
from partnerportal.services import invitation_create
from partnerportal.tenancy import tenant_url

from .models import Application, CriterionCheck, MembershipCriterion
from .selectors import application_checklist, entry_tier
from .signals import application_refused, application_submitted

APPLICANT_REF_PREFIX = "CAND-"  # an applicant has no billing code yet; managers set the real one at will


class ApplicationError(ValidationError):
    """An application or a decision the rules refuse; its message is for the person who asked."""


@dataclass(frozen=True)
class ApplicationData:
    """What the public form gathers (forms.ApplicationForm's cleaned data)."""

    legal_name: str
    siren: str
    siret: str
    partner_type: PartnerType
    operator_plan: OperatorPlan | None
    postal_code: str
    city: str
    region: str
    first_name: str
    last_name: str
    email: str
    phone: str
    products: str
    message: str = ""
    website: str = ""


def _duplicate_message(siren: str) -> str:
    return _(
        "A company with the SIREN %(siren)s is already known to this programme, as a partner or an "
        "applicant. If it is yours, contact your channel manager rather than applying again."
    ) % {"siren": siren}


def _new_applicant_ref(tenant: Tenant) -> str:
    while True:
        ref = APPLICANT_REF_PREFIX + secrets.token_hex(4).upper()
        if not Partner.objects.filter(tenant=tenant, external_ref=ref).exists():
            return ref


@transaction.atomic
def application_submit(*, tenant: Tenant, data: ApplicationData, language: str) -> Application:
    """Record an application: a partner in status *applicant* (the company) and its ``Application``.

    A SIREN the tenant knows already (any partner, whatever its status) is refused with ApplicationError.
    The tenant's row is locked first, so that two simultaneous applications of one company are checked one
    after the other (the core's partner table has no unique SIREN). ``language`` (the one the form was
    filled in) becomes the partner's, for the e-mails it gets. The managers are e-mailed after commit.
    """
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk").get()
    if Partner.objects.filter(tenant=tenant, siren=data.siren).exists():
        raise ApplicationError(_duplicate_message(data.siren), code="duplicate")
    partner = Partner(
        tenant=tenant,
        external_ref=_new_applicant_ref(tenant),
        legal_name=data.legal_name.strip(),
        siren=data.siren,
        siret=data.siret,
        partner_type=data.partner_type,
        operator_plan=data.operator_plan if data.partner_type.has_operator_plans else None,
        postal_code=data.postal_code,
        city=data.city.strip(),
        region=data.region,
        country="FR",
        phone=data.phone,
        email=data.email.strip().lower(),
        website=data.website,
        status=Partner.Status.APPLICANT,
        date_joined=tenant.today(),
        preferred_language=language,
    )
    partner.full_clean()
    partner.save()
    application = Application(
        tenant=tenant,
        partner=partner,
        contact_first_name=data.first_name.strip(),
        contact_last_name=data.last_name.strip(),
        contact_email=data.email.strip().lower(),
        contact_phone=data.phone,
        products=data.products.strip(),
        message=data.message.strip(),
    )
    application.full_clean()
    application.save()
    application_submitted.send(sender=Application, tenant_id=tenant.pk, application_id=application.pk)
    return application


def _locked_pending(application: Application) -> Application:
    """The application's row, locked, if it is still to vet; else ApplicationError saying who decided."""
    locked = (
        Application.objects.select_for_update(of=("self",))  # the application's row, not its partner's
        .select_related("partner", "partner__tenant", "tenant")
        .get(pk=application.pk, tenant_id=application.tenant_id)
    )
    if not locked.is_pending:
        who = str(locked.decided_by) if locked.decided_by else "—"
        raise ApplicationError(
            _("This application was already %(state)s by %(who)s on %(date)s.")
            % {
                "state": locked.get_state_display().lower(),
                "who": who,
                "date": date_format(timezone.localtime(locked.decided_at)),
            },
            code="decided",
        )
    return locked


@transaction.atomic
def application_check(
    *, application: Application, checks: list[tuple[int, bool, str]], by: User
) -> list[CriterionCheck]:
    """Record the manager's verdict (met, note) on the criteria ``checks`` names by id, while the application
    is to vet. A criterion of another tenant, or inactive, is refused; a line that did not change keeps who
    checked it and when. A checklist has a handful of lines: they are written one by one."""
    locked = _locked_pending(application)
    criteria = {
        c.pk: c for c in MembershipCriterion.objects.filter(tenant_id=locked.tenant_id, is_active=True)
    }
    unknown = [pk for pk, _met, _note in checks if pk not in criteria]
    if unknown:
        raise ApplicationError(_("This checklist is out of date: reload the page."), code="criteria")
    existing = {c.criterion_id: c for c in CriterionCheck.objects.filter(application=locked)}
    now, saved = timezone.now(), []
    for pk, met, note in checks:
        check = existing.get(pk) or CriterionCheck(
            tenant_id=locked.tenant_id, application=locked, criterion=criteria[pk]
        )
        note = (note or "").strip()
        if check.pk and check.met == met and check.note == note:
            continue
        check.met, check.note, check.checked_by, check.checked_at = met, note, by, now
        check.full_clean()
        check.save()
        saved.append(check)
    return saved


@transaction.atomic
def application_accept(*, application: Application, by: User, external_ref: str = "") -> Application:
    """Accept an application whose every active criterion is ticked as met.

    The partner becomes active from today at the tenant's entry tier (a partner never assessed is at the
    lowest tier, tiers.selectors.tier_on; the next evaluation grades it like any other) and the applicant's
    contact is invited as the partner's administrator through the core's invitation (e-mailed after
    commit). ``external_ref``, when given, replaces the provisional reference. Raises ApplicationError when
    the application was decided already, a criterion is not met, the reference is taken or the contact
    cannot be invited; nothing is written then.
    """
    locked = _locked_pending(application)
    unmet = [
        line.criterion.title
        for line in application_checklist(application=locked)
        if line.criterion.is_active and not line.met  # a criterion made inactive since no longer counts
    ]
    if unmet:
        raise ApplicationError(
            _("Tick every criterion as met before accepting; not yet: %(criteria)s.")
            % {"criteria": ", ".join(unmet)},
            code="unmet",
        )
    partner, tenant = locked.partner, locked.partner.tenant
    external_ref = (external_ref or "").strip()
    if external_ref:
        if Partner.objects.filter(tenant=tenant, external_ref=external_ref).exclude(pk=partner.pk).exists():
            raise ApplicationError(
                _("Another partner already has the reference %(ref)s.") % {"ref": external_ref}, code="ref"
            )
        partner.external_ref = external_ref
    partner.status = Partner.Status.ACTIVE
    partner.date_joined = tenant.today()
    partner.full_clean()
    partner._history_user = by  # the history names who decided, wherever the service is called from
    partner.save()  # a save, not an update(): the apps' reactions to an activation run (the welcome pack)
    try:
        invitation = invitation_create(
            tenant=tenant,
            partner=partner,
            email=locked.contact_email,
            role=Membership.Role.ADMIN,
            invited_by=by,
            base_url=tenant_url(tenant, "/"),
        )
    except ValidationError as error:
        raise ApplicationError(
            _("%(email)s cannot be invited: %(problem)s")
            % {"email": locked.contact_email, "problem": " ".join(error.messages)},
            code="invitation",
        ) from error
    locked.state = Application.State.ACCEPTED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.entry_tier = entry_tier(tenant=tenant)
    locked.invitation = invitation
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def application_refuse(*, application: Application, by: User, reason: str) -> Application:
    """Refuse an application with a reason the applicant reads (e-mailed after commit, in the language it
    applied in). The company stays on record as a terminated partner: its SIREN is known, so applying again
    is answered with the duplicate message, and it is neither graded nor counted among applicants."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Say why the application is refused: the applicant reads it."), code="reason"
        )
    locked = _locked_pending(application)
    partner = locked.partner
    partner.status = Partner.Status.TERMINATED
    partner._history_user = by
    partner.save(update_fields=["status", "updated_at"])
    locked.state = Application.State.REFUSED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.refusal_reason = reason[:1000]
    locked.full_clean()
    locked._history_user = by
    locked.save()
    application_refused.send(sender=Application, tenant_id=locked.tenant_id, application_id=locked.pk)
    return locked
