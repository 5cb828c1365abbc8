"""The events dispatch writes on a case besides the workflow actions (overlays: the status stays), and the label
of any event a timeline shows."""

from django.utils.translation import pgettext_lazy

from cases.workflow import action_label

OVERLAY_LABELS = {
    "order_issued": pgettext_lazy("action", "Supervision order issued"),
    "order_replied": pgettext_lazy("action", "Supervision order answered"),
    "order_withdrawn": pgettext_lazy("action", "Supervision order withdrawn"),
    "order_overdue": pgettext_lazy("action", "Supervision order unanswered"),
    "whistle_blown": pgettext_lazy("action", "Whistle blown (吹哨)"),
    "whistle_reported": pgettext_lazy("action", "Reported to the whistle (报到)"),
    "whistle_overdue": pgettext_lazy("action", "Report to the whistle overdue"),
    "timer_warning": pgettext_lazy("action", "Deadline warning"),
    "timer_overdue": pgettext_lazy("action", "Deadline passed"),
    "timer_escalation": pgettext_lazy("action", "Escalated"),
    "sensing_evidence": pgettext_lazy("action", "Sensor detection added"),
    "enforcement_confirmed": pgettext_lazy("action", "Violation confirmed by the enforcement body"),
    "enforcement_declined": pgettext_lazy("action", "Enforcement body declined the transfer"),
    "enforcement_listed": pgettext_lazy("action", "Listed for supervision (挂牌督办)"),
    "enforcement_feedback": pgettext_lazy("action", "Enforcement result reported back (办结反馈)"),
    "enforcement_evidence": pgettext_lazy("action", "Enforcement evidence added"),
}


def event_label(name):
    """A workflow action's label, the report's, an overlay's; never the internal name (a generic phrase instead)."""
    return action_label(name) or OVERLAY_LABELS.get(name) or pgettext_lazy("action", "Other change")
