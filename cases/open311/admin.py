"""Admin of Open311 clients: adding one shows its api_key once; actions issue a new key or revoke the current one."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import Open311Client, Open311Request

from .services import open311_client_create, open311_client_key_issue


def _show_key(request, client, raw):
    # The key exists in plain text only now: the message is the one place it is ever shown.
    message = _("New api_key of “%(name)s”: %(key)s — copy it now; it is not shown again.")
    messages.warning(request, message % {"name": client.name, "key": raw})


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "created_at", "last_used_at", "revoked_at", "request_count"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "contact"]
    fields = ["name", "contact", "key_prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_prefix", "user", "created_at", "last_used_at", "revoked_at"]
    actions = ["issue_new_key", "revoke_key"]

    @admin.display(description=_("requests"))
    def request_count(self, client):
        return client.requests.count()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            client, raw = open311_client_create(name=obj.name, contact=obj.contact)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return
        obj.pk, obj.user = client.pk, client.user
        _show_key(request, client, raw)

    @admin.action(description=_("Issue a new key (the old one stops working)"))
    def issue_new_key(self, request, queryset):
        for client in queryset:
            _show_key(request, client, open311_client_key_issue(client=client))

    @admin.action(description=_("Revoke the key"))
    def revoke_key(self, request, queryset):
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            client.revoke()
            count += 1
        message = ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count}
        self.message_user(request, message)


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ["token", "case", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["token", "case__number"]
    list_select_related = ["case", "client"]
    readonly_fields = ["client", "case", "token", "device_id", "created_at"]

    def has_add_permission(self, request):
        return False
