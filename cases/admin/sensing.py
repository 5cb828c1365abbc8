"""Admin of sensing intake: sources (the key shown once on creation, "issue a new key" and "revoke" actions), their
classes and thresholds, the merging rules per class, and the events received (read only)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from cases.models.sensing import SensingEvent, SensingMergeRule, SensingSource, SensingThreshold
from cases.services.sensing import sensing_caches_clear, sensing_source_revoke


def _show_key(request, source, raw):
    # The only moment the key exists in clear: the database keeps its hash.
    message = _("Key of “%(name)s” (shown once, copy it now): %(key)s")
    messages.warning(request, message % {"name": source.name, "key": raw})


class SensingThresholdInline(admin.TabularInline):
    model = SensingThreshold
    autocomplete_fields = ["category"]
    extra = 1


@admin.register(SensingSource)
class SensingSourceAdmin(LeafletGeoAdmin):
    list_display = [
        "name",
        "kind",
        "owner",
        "region",
        "rate_limit",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["kind", "owner"]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["owner", "region"]
    inlines = [SensingThresholdInline]
    actions = ["issue_new_key", "revoke_key"]

    def save_model(self, request, obj, form, change):
        raw = None if change else obj.issue_key()
        super().save_model(request, obj, form, change)
        if raw is not None:
            _show_key(request, obj, raw)
        sensing_caches_clear()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sensing_caches_clear()

    @admin.action(description=_("Issue a new key (the old one stops working)"))
    def issue_new_key(self, request, queryset):
        for source in queryset:
            raw = source.issue_key()
            source.revoked_at = None
            source.save(update_fields=["key_prefix", "key_hash", "revoked_at"])
            _show_key(request, source, raw)
        sensing_caches_clear()

    @admin.action(description=_("Revoke the key"))
    def revoke_key(self, request, queryset):
        for source in queryset.filter(revoked_at__isnull=True):
            sensing_source_revoke(source=source)
        messages.success(request, _("Keys revoked."))


@admin.register(SensingMergeRule)
class SensingMergeRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "distance_m", "window_hours"]
    autocomplete_fields = ["category"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sensing_caches_clear()


@admin.register(SensingEvent)
class SensingEventAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "external_id", "category", "confidence", "outcome", "case", "occurred_at"]
    list_filter = ["outcome", "source"]
    search_fields = ["external_id", "case__number"]
    list_select_related = ["source", "category", "case"]
    fields = [
        "source",
        "external_id",
        "occurred_at",
        "received_at",
        "category",
        "confidence",
        "attributes",
        "snapshot",
        "outcome",
        "case",
        "lead",
        "reviewed_by",
        "reviewed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
