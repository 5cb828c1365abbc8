"""Signals of the dispatch app. Sent only after the transaction commits, with ids, never objects."""

from django.dispatch import Signal

# timer_fired(sender=TimerMark, mark_id=int, case_id=int, event_id=int, level=str, stage=str, percent=int,
#             notify=tuple[str, ...], lift_to_city=bool, propose_supervision=bool)
# One per timer level that fired (level "warning", "overdue" or "escalation-<percent>"); `percent` is the share
# of the stage limit used at that level (80, 100, 150 …); `notify` holds EscalationTarget values (empty for
# warning and overdue: tell the people working the case). Delivered at least once: a sweep re-announces marks
# a crash left unannounced, so receivers must be idempotent (the event id is a natural de-duplication key).
timer_fired = Signal()
