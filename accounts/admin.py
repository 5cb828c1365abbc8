from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .models import Posting, SecurityEvent, User
from .services import posting_check


class PostingForm(forms.ModelForm):
    class Meta:
        model = Posting
        fields = ["user", "role", "region", "department", "valid_from", "valid_to"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role"):
            # The same rules as posting_grant, so the admin shows its field messages; with the user, a posting
            # they already hold is refused here rather than by the database (a 500).
            posting_check(
                role=cleaned["role"],
                region=cleaned.get("region"),
                department=cleaned.get("department"),
                user=cleaned.get("user"),
                posting_id=self.instance.pk,
            )
        return cleaned


class PostingInlineFormSet(BaseInlineFormSet):
    def clean(self):
        """Two rows of one user naming the same role and place: the second gets the form error."""
        super().clean()
        # The forms check the saved postings; rows added together (a new user's, say) only meet here.
        seen = set()
        for form in self.forms:
            if self._should_delete_form(form) or not form.is_valid() or not form.cleaned_data:
                continue
            data = form.cleaned_data
            key = (data["role"], data.get("region"), data.get("department"))
            if key in seen:
                field = "department" if data.get("region") is None else "region"
                form.add_error(field, _("This role and place are already in another row."))
            seen.add(key)


class PostingInline(admin.TabularInline):
    model = Posting
    form = PostingForm
    formset = PostingInlineFormSet
    fields = ["role", "region", "department", "valid_from", "valid_to"]
    autocomplete_fields = ["region", "department"]
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "phone", "email"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "phone", "password1", "password2"]}),
    ]
    list_display = ["username", "full_name", "phone", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "postings__role"]
    search_fields = ["username", "full_name", "phone", "email"]
    ordering = ["username"]
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(admin.ModelAdmin):
    form = PostingForm
    list_display = ["user", "role", "region", "department", "valid_from", "valid_to"]
    list_filter = ["role"]
    list_select_related = ["user", "region", "department"]
    search_fields = ["user__username", "user__full_name", "region__code", "region__name", "department__name"]
    autocomplete_fields = ["user", "region", "department"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the record is evidence, so nobody edits or deletes it through the site."""

    list_display = ["at", "kind", "username", "actor", "ip_address", "method", "path", "detail"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    search_fields = ["username", "actor__username", "ip_address", "path", "detail"]
    date_hierarchy = "at"
    fields = ["at", "kind", "username", "subject", "actor", "ip_address", "method", "path", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
