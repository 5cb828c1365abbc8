"""Admin of supervision orders: read-only history; orders are issued and answered through the API."""

from django.contrib import admin

from dispatch.models import SupervisionOrder


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "formal", "state", "issued_by", "issued_at", "reply_deadline", "replied_at"]
    list_filter = ["state", "formal"]
    search_fields = ["case__number", "note", "reply"]
    list_select_related = ["case", "issued_by"]
    date_hierarchy = "issued_at"
    raw_id_fields = ["case"]

    # Every change writes a case event through the services; the admin only shows what happened.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
