"""Admin of the canned phrases (常用语): administrators keep the sentences each action's form offers."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.workflow import ACTIONS
from dispatch.models import CannedPhrase


def action_choices():
    return [(name, f"{spec.label} ({name})") for name, spec in ACTIONS.items()]


class CannedPhraseForm(forms.ModelForm):
    action = forms.ChoiceField(label=_("action"), choices=action_choices)

    class Meta:
        model = CannedPhrase
        fields = ["action", "text", "position", "active"]


@admin.register(CannedPhrase)
class CannedPhraseAdmin(admin.ModelAdmin):
    form = CannedPhraseForm
    list_display = ["text", "action_label", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["active", "action"]
    search_fields = ["text"]
    ordering = ["action", "position", "id"]

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        spec = ACTIONS.get(obj.action)
        return spec.label if spec else obj.action
