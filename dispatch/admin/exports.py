"""Admin of export jobs: read-only, to see who exported what and why a job failed (files are served to their
owners only, from /exports/, so the admin shows no link to them)."""

from django.contrib import admin

from dispatch.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "surface", "format", "state", "rows_done", "rows_total", "created_at", "finished_at"]
    list_filter = ["state", "surface", "format"]
    search_fields = ["user__username", "error"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    exclude = ["file"]
    readonly_fields = ["user", "surface", "params", "language", "format", "state", "rows_done", "rows_total", "error"]
    readonly_fields += ["created_at", "started_at", "finished_at", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
