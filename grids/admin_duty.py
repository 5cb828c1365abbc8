"""Administration of 网上勤务: the duty roster (with a CSV import and "copy to next week") and patrols (read only)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import DutyShift, PatrolSession
from grids.services.errors import GridImportError
from grids.services.rosters import ROSTER_COLUMNS, roster_copy_week, roster_import

ROSTER_MAX_BYTES = 2 * 1024 * 1024


class RosterImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Roster CSV (UTF-8)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ROSTER_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("Save the roster as UTF-8 CSV.")) from None


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "kind", "user", "department", "patrol_area", "phone")
    list_filter = ("kind", "department__level", "department")
    date_hierarchy = "starts_at"
    search_fields = ("user__username", "user__full_name", "department__name", "patrol_area__name", "phone")
    raw_id_fields = ("user",)
    list_select_related = ("user", "department", "patrol_area")
    actions = ("copy_to_next_week",)
    change_list_template = "admin/grids/dutyshift/change_list.html"

    @admin.action(description=gettext_lazy("Copy the selected shifts to the next week"))
    def copy_to_next_week(self, request, queryset):
        # Shifts of several weeks are copied week by week, each one week later.
        created = skipped = 0
        days = sorted({timezone.localdate(at) for at in queryset.values_list("starts_at", flat=True)})
        weeks = sorted({d.isocalendar()[:2] for d in days})
        for year, week in weeks:
            day = next(d for d in days if d.isocalendar()[:2] == (year, week))
            report = roster_copy_week(week_of=day, shift_ids=list(queryset.values_list("pk", flat=True)))
            created, skipped = created + report.created, skipped + report.skipped
        self.message_user(
            request,
            _("%(created)d shifts copied to the next week, %(skipped)d were there already.")
            % {"created": created, "skipped": skipped},
            messages.SUCCESS,
        )

    def get_urls(self):
        extra = [path("import/", self.admin_site.admin_view(self.import_view), name="grids_dutyshift_import")]
        return extra + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RosterImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            try:
                report = roster_import(text=form.cleaned_data["file"])
            except GridImportError as error:
                form.add_error("file", error.message)
                problems = error.problems
            else:
                self.message_user(
                    request,
                    _("%(created)d shifts added, %(skipped)d were in the roster already.")
                    % {"created": report.created, "skipped": report.skipped},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:grids_dutyshift_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a duty roster"),
            "form": form,
            "problems": problems,
            "columns": ", ".join(ROSTER_COLUMNS),
        }
        return render(request, "admin/grids/dutyshift/import.html", context)


@admin.register(PatrolSession)
class PatrolSessionAdmin(admin.ModelAdmin):
    """Attendance as the phones reported it: read only (the track is the worker's record)."""

    list_display = ("user", "started_at", "ended_at", "patrol_area", "points", "distance_m", "last_seen_at")
    list_filter = ("patrol_area",)
    date_hierarchy = "started_at"
    search_fields = ("user__username", "user__full_name")
    list_select_related = ("user", "patrol_area")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
