"""Admin of the enforcement catalogue (step limits, the discretion standard) and read-only views of the chains."""

from django.contrib import admin

from cases.models import DiscretionStandard, EnforcementCase, EnforcementEvent, EnforcementStepLimit, Party


@admin.register(EnforcementStepLimit)
class EnforcementStepLimitAdmin(admin.ModelAdmin):
    list_display = ["step", "hours"]
    list_editable = ["hours"]


@admin.register(DiscretionStandard)
class DiscretionStandardAdmin(admin.ModelAdmin):
    list_display = ["offence_code", "offence", "circumstance", "fine_min", "fine_max", "measure"]
    list_filter = ["offence_code", "circumstance"]
    search_fields = ["offence_code", "offence", "legal_basis"]


class EventInline(admin.TabularInline):
    model = EnforcementEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_state", "to_state", "actor", "actor_role", "note", "step_met"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EnforcementCase)
class EnforcementCaseAdmin(admin.ModelAdmin):
    """Read-only: the chain moves only through its services."""

    list_display = ["number", "source", "body", "state", "step", "step_deadline", "overdue"]
    list_filter = ["state", "overdue", "body"]
    search_fields = ["number", "source__number", "violation"]
    inlines = [EventInline]
    list_select_related = ["source", "body"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "id_masked"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["id_masked"]
    exclude = ["id_hash"]

    def has_add_permission(self, request):
        return False
