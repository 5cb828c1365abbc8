"""Admin of the working-time calendar: date overrides, holiday schedule years, working periods."""

from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import CalendarDay, CalendarYear, WorkingPeriod
from cases.worktime import calendar_coverage_warning, calendar_year_mark_loaded


class _CoverageWarningMixin:
    """Show the missing-holiday-data warning on top of the changelist."""

    def changelist_view(self, request, extra_context=None):
        warning = calendar_coverage_warning()
        if warning:
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(_CoverageWarningMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "kind", "name", "source"]
    list_filter = ["kind", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]
    actions = ["mark_years_loaded"]
    fieldsets = [
        (
            None,
            {
                "fields": ["date", "kind", "name", "source"],
                "description": _(
                    "Only exceptions to the Monday–Friday rule: a holiday on a weekday, or a make-up working day "
                    "(调休) on a weekend. When all of next year's days are entered, select them and use “Mark "
                    "their years as loaded”, or run manage.py load_holidays with the published schedule."
                ),
            },
        )
    ]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.action(description=_("Mark their years as loaded (holiday schedule complete)"))
    def mark_years_loaded(self, request, queryset):
        years = sorted({day.year for day in queryset.values_list("date", flat=True)})
        for year in years:
            calendar_year_mark_loaded(year=year)
        self.message_user(
            request,
            ngettext("Marked %(years)s as loaded.", "Marked %(years)s as loaded.", len(years))
            % {"years": ", ".join(map(str, years))},
            messages.SUCCESS,
        )


@admin.register(CalendarYear)
class CalendarYearAdmin(_CoverageWarningMixin, admin.ModelAdmin):
    list_display = ["year", "source", "loaded_at"]
    readonly_fields = ["loaded_at"]
    fieldsets = [
        (
            None,
            {
                "fields": ["year", "source", "loaded_at"],
                "description": _(
                    "A year listed here has its official holiday schedule entered completely. Deadlines in other "
                    "years assume Monday–Friday and are flagged on the dashboard and at /healthz."
                ),
            },
        )
    ]


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "start", "end", "valid_from", "valid_to"]
    list_filter = ["valid_from"]
    fieldsets = [
        (
            None,
            {
                "fields": ["start", "end", "valid_from", "valid_to"],
                "description": _(
                    "The daily working periods counted by working-time limits (one working day is their total "
                    "length). Seasonal office hours: add a second set (e.g. a summer set 08:30–12:00 and "
                    "15:00–18:30) valid from 1 June to 30 September; on each date the periods with the latest "
                    "“valid from” covering that date apply, so the summer set replaces the all-year one."
                ),
            },
        )
    ]
