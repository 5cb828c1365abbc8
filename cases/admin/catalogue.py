"""Admin of the catalogue: categories with their filing conditions, conditions with their time limits, step limits,
and the urgency policies (clocks and step limits per urgency)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, TextField
from django.utils.translation import gettext_lazy as _

from cases.catalogue import category_initials, time_limit_check
from cases.models import Category, FilingCondition, StepLimit, TimeLimit, UrgencyPolicy, UrgencyStepLimit

SHORT_TEXT = {TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


class MajorMinorFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("major", _("Major classes")), ("minor", _("Minor classes"))]

    def queryset(self, request, queryset):
        if self.value() in ("major", "minor"):
            return queryset.filter(parent__isnull=self.value() == "major")
        return queryset


class FilingConditionInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            condition, clock = form.instance, form.cleaned_data.get("clock")
            if not condition.pk or not clock or "clock" not in form.changed_data:
                continue
            # Changing the clock must not leave limits in units that clock cannot count.
            for unit in condition.time_limits.values_list("unit", flat=True).distinct():
                try:
                    time_limit_check(clock=clock, unit=unit)
                except ValidationError:
                    form.add_error(
                        "clock", _("Change the units of this condition's time limits first (on its own page).")
                    )
                    break


class FilingConditionInline(admin.StackedInline):
    model = FilingCondition
    formset = FilingConditionInlineFormSet
    fields = [("name", "clock", "position", "active"), ("filing_text", "closing_text")]
    formfield_overrides = SHORT_TEXT
    show_change_link = True
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "code", "name", "parent", "initials", "active", "condition_count"]
    list_filter = ["kind", "active", MajorMinorFilter, "parent"]
    search_fields = ["code", "name", "initials"]
    list_select_related = ["parent"]
    fields = ["kind", "code", "name", "parent", "initials", "active", "enforcement_pauses_clock"]
    inlines = [FilingConditionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(condition_count=Count("filing_conditions"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("filing conditions"), ordering="condition_count")
    def condition_count(self, obj):
        return obj.condition_count

    def save_model(self, request, obj, form, change):
        # Keep the picker's initials in step with a renamed category unless the admin typed them.
        if not obj.initials or ("name" in form.changed_data and "initials" not in form.changed_data):
            obj.initials = category_initials(name=obj.name)
        super().save_model(request, obj, form, change)


class TimeLimitInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form) or "unit" not in form.cleaned_data:
                continue
            try:
                time_limit_check(clock=self.instance.clock, unit=form.cleaned_data["unit"])
            except ValidationError as exc:
                form.add_error(None, exc)


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    formset = TimeLimitInlineFormSet
    fields = ["urgency", "area_class", "value", "unit"]
    ordering = ["area_class", "-urgency"]
    extra = 0


@admin.register(FilingCondition)
class FilingConditionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category", "name", "clock", "position", "active"]
    list_filter = ["clock", "active", "category__kind"]
    search_fields = ["name", "category__code", "category__name", "category__initials"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    fields = ["category", "name", "filing_text", "closing_text", "clock", "position", "active"]
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}
    inlines = [TimeLimitInline]


@admin.register(StepLimit)
class StepLimitAdmin(admin.ModelAdmin):
    list_display = ["step", "value", "unit"]
    list_editable = ["value", "unit"]
    ordering = ["id"]


class UrgencyStepLimitInline(admin.TabularInline):
    model = UrgencyStepLimit
    fields = ["step", "value", "unit"]
    extra = 0


@admin.register(UrgencyPolicy)
class UrgencyPolicyAdmin(admin.ModelAdmin):
    """Edits reach stages that start afterwards; a running stage keeps the deadline it started with."""

    list_display = ["urgency", "step_clock", "handling_clock", "alert"]
    list_editable = ["step_clock", "handling_clock", "alert"]
    fields = ["urgency", "step_clock", "handling_clock", "alert"]
    inlines = [UrgencyStepLimitInline]
