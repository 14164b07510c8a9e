"""Back-office of Experts Zen: the programme's settings, the specialities, the tests and their questions
(choices inline, one or more correct), the experts (zone, certifications), attempts, and assignments with
their timeliness. Mandates and their steps go through the services, as in the portal."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partnerportal.admin_site import ReadOnlyInlineMixin, ReadOnlyMixin, TenantAdminMixin, TenantInlineMixin
from partnerportal.geography import DEPARTEMENT_CHOICES

from . import selectors, services
from .models import (
    Assignment,
    AssignmentState,
    Attempt,
    CertificationTest,
    Choice,
    Expert,
    ExpertProgramme,
    ExpertSpeciality,
    Question,
    Speciality,
)


class ExpertProgrammeAdminForm(forms.ModelForm):
    """Many-to-many choices are saved after the model's clean(): the superuser's unscoped back-office offers
    every tenant's duties, so they are checked here."""

    def _same_tenant(self, name):
        duties = self.cleaned_data[name]
        tenant = self.cleaned_data.get("tenant") if "tenant" in self.fields else None
        tenant = tenant or (self.instance.tenant if self.instance.tenant_id else None)
        if tenant is not None and any(duty.tenant_id != tenant.pk for duty in duties):
            raise forms.ValidationError(_("Choose duties of this programme only."), code="other_tenant")
        return duties

    def clean_offer_duties(self):
        return self._same_tenant("offer_duties")

    def clean_training_duties(self):
        return self._same_tenant("training_duties")


@admin.register(ExpertProgramme)
class ExpertProgrammeAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = ExpertProgrammeAdminForm
    list_display = [
        "__str__",
        "min_tier",
        "max_attempts",
        "attempt_period_days",
        "validity_months",
        "response_hours",
    ]
    filter_horizontal = ["offer_duties", "training_duties"]
    fieldsets = [
        (None, {"fields": ["tenant", "min_tier"]}),
        (_("Conditions of listing"), {"fields": ["offer_duties", "training_duties", "charter_duty"]}),
        (_("Zen price grid"), {"fields": ["price_grid", "price_grid_version"]}),
        (
            _("Certification test"),
            {"fields": ["max_attempts", "attempt_period_days", "attempt_minutes", "validity_months"]},
        ),
        (_("Assignments"), {"fields": ["response_hours"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A new minimum tier applies to every expert at once.
        services.experts_tier_sync(tenant_id=form.instance.tenant_id)


@admin.register(Speciality)
class SpecialityAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "group", "position", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["name", "code"]
    list_editable = ["position", "is_active"]
    ordering = ["group", "position", "name"]


class QuestionInline(TenantInlineMixin, admin.TabularInline):
    model = Question
    fields = ["text", "position"]
    extra = 0
    show_change_link = True
    formfield_overrides = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 80})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(CertificationTest)
class CertificationTestAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "speciality",
        "pass_mark",
        "questions_per_attempt",
        "question_count",
        "is_active",
    ]
    list_filter = ["is_active", ("speciality", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["speciality", "tenant"]
    search_fields = ["title", "speciality__name"]
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, test):
        return test.question_total


class ChoiceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) < 2:
            raise ValidationError(_("A question needs at least two answers."))
        if not any(f.cleaned_data.get("is_correct") for f in kept):
            raise ValidationError(_("Tick at least one correct answer."))


class ChoiceInline(TenantInlineMixin, admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ["text", "is_correct"]

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is not None else 4


@admin.register(Question)
class QuestionAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "test", "position", "answer_count"]
    list_filter = [("test", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["test", "tenant"]
    search_fields = ["text"]
    inlines = [ChoiceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(answer_total=Count("choices"))

    @admin.display(description=_("answers"), ordering="answer_total")
    def answer_count(self, question):
        return question.answer_total


class ExpertSpecialityInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ExpertSpeciality
    fields = ["speciality", "applied_at", "certified_on", "expires_on", "attempt"]
    readonly_fields = fields


class ExpertAdminForm(forms.ModelForm):
    departements = forms.MultipleChoiceField(
        choices=DEPARTEMENT_CHOICES,
        label=_("Zone (départements)"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )

    class Meta:
        model = Expert
        fields = ["intervention_hours", "contact_name", "contact_email", "contact_phone", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["departements"] = [zone.departement for zone in self.instance.zones.all()]


class DirectoryFilter(admin.SimpleListFilter):
    title = _("in the directory")
    parameter_name = "listed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        listed = selectors.directory_list(tenant=request.tenant, today=request.tenant.today()).values("pk")
        return queryset.filter(pk__in=listed) if self.value() == "yes" else queryset.exclude(pk__in=listed)


@admin.register(Expert)
class ExpertAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = ExpertAdminForm
    list_display = ["partner", "intervention_hours", "zone", "tier_ok", "is_active", "contact_email"]
    list_filter = [DirectoryFilter, "tier_ok", "is_active"]
    list_select_related = ["partner", "tenant"]
    search_fields = ["partner__legal_name", "partner__trade_name", "partner__external_ref"]
    readonly_fields = [
        "partner",
        "tier_ok",
        "price_grid_version",
        "price_grid_accepted_at",
        "price_grid_accepted_by",
    ]
    fields = [
        "tenant",
        "partner",
        "departements",
        "intervention_hours",
        "contact_name",
        "contact_email",
        "contact_phone",
        "is_active",
        "tier_ok",
        "price_grid_version",
        "price_grid_accepted_at",
        "price_grid_accepted_by",
    ]
    inlines = [ExpertSpecialityInline]

    def has_add_permission(self, request):
        return False  # partners apply in the portal

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    @admin.display(description=_("zone"))
    def zone(self, expert):
        return ", ".join(zone.departement for zone in expert.zones.all())

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.expert_zone_set(expert=obj, departements=form.cleaned_data["departements"])


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["test", "partner", "membership", "started_at", "submitted_at", "score", "passed"]
    list_filter = ["passed", ("test", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["test", "partner", "membership__user", "tenant"]
    search_fields = ["partner__legal_name", "membership__user__email"]
    fields = ["test", "partner", "membership", "started_at", "expires_at", "submitted_at", "score", "passed"]
    readonly_fields = fields


class TimelinessFilter(admin.SimpleListFilter):
    title = _("guaranteed time")
    parameter_name = "timeliness"

    def lookups(self, request, model_admin):
        return [
            ("late", _("Late")),
            ("on_time", _("Done on time")),
            ("unanswered", _("No answer in time")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "late":
            return queryset.filter(late=True)
        if self.value() == "on_time":
            return queryset.filter(state=AssignmentState.DONE, late=False)
        if self.value() == "unanswered":
            return queryset.filter(unanswered=True)
        return queryset


MANDATE_FIELDS = ["expert", "speciality", "client", "place", "departement", "deadline", "description"]


class AssignmentMandateForm(forms.ModelForm):
    """The mandate; the admin gives it its model and fields (no Meta: a form class built at import would
    read the scoped experts outside any scope)."""

    def clean(self):
        cleaned = super().clean()
        expert, speciality = cleaned.get("expert"), cleaned.get("speciality")
        if expert and speciality:
            listed = selectors.directory_list(
                tenant=expert.partner.tenant, today=expert.partner.tenant.today(), speciality=speciality
            )
            if not listed.filter(pk=expert.pk).exists():
                raise ValidationError(
                    _("%(expert)s is not a listed expert certified on %(speciality)s.")
                    % {"expert": expert, "speciality": speciality}
                )
        return cleaned


@admin.register(Assignment)
class AssignmentAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = AssignmentMandateForm
    list_display = [
        "client",
        "expert",
        "speciality",
        "where",
        "state",
        "timeliness",
        "mandated_at",
        "answered_at",
        "intervene_by",
        "done_at",
    ]
    list_filter = ["state", TimelinessFilter, ("speciality", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["expert__partner", "speciality", "tenant"]
    search_fields = ["client", "place", "departement", "expert__partner__legal_name"]
    actions = ["mark_done", "cancel"]
    date_hierarchy = "mandated_at"

    def get_queryset(self, request):
        return selectors.assignments_with_timeliness(super().get_queryset(request), now=timezone.now())

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "expert":
            # Only experts in the directory can be mandated (the form checks the speciality too).
            listed = selectors.directory_list(tenant=request.tenant, today=request.tenant.today())
            kwargs["queryset"] = Expert.objects.filter(pk__in=listed.values("pk")).select_related("partner")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return MANDATE_FIELDS
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in Assignment._meta.fields if f.name not in ("id", "tenant")]

    def has_change_permission(self, request, obj=None):
        # Steps go through the actions (the services); the change page only shows the record.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the expert's service; cancel instead

    @admin.display(description=_("place"), ordering="departement")
    def where(self, assignment):
        return f"{assignment.place} ({assignment.departement})"

    @admin.display(description=_("guaranteed time"), ordering="late")
    def timeliness(self, assignment):
        if assignment.state == AssignmentState.DONE:
            return _("late") if assignment.late else _("on time")
        if assignment.state in (AssignmentState.MANDATED, AssignmentState.ACCEPTED):
            if assignment.unanswered:
                return _("no answer in time")
            return _("late") if assignment.late else _("running")
        return "—"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = services.assignment_mandate(
                expert=data["expert"],
                speciality=data["speciality"],
                client=data["client"],
                place=data["place"],
                departement=data["departement"],
                deadline=data["deadline"],
                description=data.get("description", ""),
                by=request.user,
            )
        except services.ExpertError as error:
            raise ValidationError(error.messages) from error
        obj.pk = saved.pk
        obj.refresh_from_db()

    def _run(self, request, queryset, step, done_text):
        changed, errors = 0, []
        for assignment in queryset:
            try:
                step(assignment=assignment)
                changed += 1
            except services.ExpertError as error:
                errors.append(f"{assignment}: {' '.join(error.messages)}")
        if changed:
            self.message_user(request, done_text(changed), messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.WARNING)

    @admin.action(description=_("Mark done now"))
    def mark_done(self, request, queryset):
        self._run(
            request,
            queryset,
            services.assignment_done,
            lambda n: (
                ngettext("%(n)d assignment marked done.", "%(n)d assignments marked done.", n) % {"n": n}
            ),
        )

    @admin.action(description=_("Cancel"))
    def cancel(self, request, queryset):
        self._run(
            request,
            queryset,
            services.assignment_cancel,
            lambda n: ngettext("%(n)d assignment cancelled.", "%(n)d assignments cancelled.", n) % {"n": n},
        )
