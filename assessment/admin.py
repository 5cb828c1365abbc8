"""Admin: schemes edited as data (every change writes a new version), runs with a recomputation action."""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .forms import RecomputeForm
from .models import AssessmentRun, Scheme, SchemeVersion, UnitResult
from .periods import Span
from .services import assessment_recompute, scheme_version_create


class SchemeForm(forms.ModelForm):
    """The scheme with its newest version's rules as JSON; changed rules become a new version on save."""

    components = forms.JSONField(
        label=_("components"),
        help_text=_('[{"indicator": "close_rate", "weight": 0.3, "mode": "rate" | "inverse" | "count"}, …]'),
    )
    thresholds = forms.JSONField(
        label=_("count thresholds"),
        required=False,
        help_text=_('{"default": [[50, 100], [100, 90]], "above": 0, "1": […], "2": […], "per_grid": true}'),
    )
    grades = forms.JSONField(
        label=_("grade bands"), help_text=_('[["A", 90], ["B", 75], ["C", 60], ["D", 40], ["E", 0]]')
    )
    version_note = forms.CharField(label=_("what changed"), required=False, max_length=200)

    class Meta:
        model = Scheme
        fields = ["code", "name", "subject", "description", "primary", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.current_version() if self.instance.pk else None
        if version is not None:
            self.fields["components"].initial = version.components
            self.fields["thresholds"].initial = version.thresholds
            self.fields["grades"].initial = version.grades

    def clean(self):
        data = super().clean()
        from .scoring import rules_validate

        try:
            rules_validate(
                components=data.get("components"), thresholds=data.get("thresholds") or {}, grades=data.get("grades")
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field, errors)
        return data


class SchemeVersionInline(admin.TabularInline):
    model = SchemeVersion
    extra = 0
    can_delete = False
    fields = ["number", "note", "created_at", "created_by", "rules_text"]
    readonly_fields = fields
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rules"))
    def rules_text(self, obj):
        return json.dumps(obj.rules(), ensure_ascii=False)[:400]


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    form = SchemeForm
    list_display = ["name", "code", "subject", "primary", "active", "version"]
    list_filter = ["subject", "primary", "active"]
    inlines = [SchemeVersionInline]

    @admin.display(description=_("version"))
    def version(self, obj):
        current = obj.current_version()
        return current.number if current else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rules = {
            "components": form.cleaned_data["components"],
            "thresholds": form.cleaned_data.get("thresholds") or {},
            "grades": form.cleaned_data["grades"],
        }
        current = obj.current_version()
        if current is None or current.rules() != rules:
            version = scheme_version_create(
                scheme=obj, note=form.cleaned_data.get("version_note", ""), actor=request.user, **rules
            )
            messages.info(request, _("Saved as version %(n)s; earlier versions are kept.") % {"n": version.number})


def _span_of(run):
    return Span(run.period_kind, run.period_start, run.period_end + timedelta(days=1))


@admin.register(AssessmentRun)
class AssessmentRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "computed_at", "requested_by", "reason", "last_event_id", "seconds"]
    list_filter = ["period_kind", "kind"]
    actions = ["recompute"]
    readonly_fields = [f.name for f in AssessmentRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Recompute the periods of the selected runs (keeps the old results)"))
    def recompute(self, request, queryset):
        form = RecomputeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = set()
            for run in queryset:
                key = (run.period_kind, run.period_start, run.period_end)
                if key in done:
                    continue
                done.add(key)
                assessment_recompute(
                    span=_span_of(run),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    as_of_run=run if form.cleaned_data["as_of_latest"] else None,
                )
            self.message_user(request, _("%(n)d periods computed again.") % {"n": len(done)}, messages.SUCCESS)
            return None
        return render(
            request,
            "assessment/admin_recompute.html",
            {**self.admin_site.each_context(request), "runs": queryset, "form": form, "opts": self.model._meta},
        )


@admin.register(UnitResult)
class UnitResultAdmin(admin.ModelAdmin):
    list_display = ["run", "subject", "department", "region", "user", "score", "grade", "rank", "scheme_version"]
    list_filter = ["subject", "grade"]
    list_select_related = ["run", "department", "region", "user", "scheme_version__scheme"]
    raw_id_fields = ["run", "department", "region", "user", "scheme_version"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("region__geom")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
