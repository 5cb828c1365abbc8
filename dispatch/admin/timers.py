"""Admin of the escalation ladder: when an overdue stage escalates, who is told, what else happens."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dispatch.models import EscalationStep


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = [
        "percent",
        "tell_department_leader",
        "tell_district_command",
        "tell_city_command",
        "lift_to_city",
        "propose_supervision",
        "active",
    ]
    list_editable = [
        "tell_department_leader",
        "tell_district_command",
        "tell_city_command",
        "lift_to_city",
        "propose_supervision",
        "active",
    ]
    list_filter = ["active"]
    ordering = ["percent"]
    fieldsets = [
        (
            None,
            {
                "fields": ["percent", "active"],
                "description": _(
                    "A step fires once per stage when that share of the stage's limit has passed since its "
                    "deadline, counted on the stage's clock (working or natural time). The warning at 80 % and "
                    "overdue at 100 % always fire before the ladder. A step's timer level is named by its percent "
                    "(escalation-50): changing the percent makes it a new step for every case."
                ),
            },
        ),
        (
            _("Effects"),
            {
                "fields": [
                    "tell_department_leader",
                    "tell_district_command",
                    "tell_city_command",
                    "lift_to_city",
                    "propose_supervision",
                ]
            },
        ),
    ]
