from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Posting, User
from .services import posting_check


class PostingForm(forms.ModelForm):
    class Meta:
        model = Posting
        fields = ["user", "role", "region", "department", "valid_from", "valid_to"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role"):
            # The same rule as posting_grant, so the admin shows its field messages.
            posting_check(role=cleaned["role"], region=cleaned.get("region"), department=cleaned.get("department"))
        return cleaned


class PostingInline(admin.TabularInline):
    model = Posting
    form = PostingForm
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
