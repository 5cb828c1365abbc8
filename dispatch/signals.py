"""Signals of the dispatch app: about committed work, with ids, never objects."""

from django.dispatch import Signal

# timers_fired(sender=TimerMark, marks=list[dict])
# Once per committed sweep batch, by the follow-up that announces it (dispatch.services.timers.timers_announce,
# on the `followup` queue, inside the follow-up's transaction), with one dict per timer level that fired:
#   mark_id, case_id, event_id (int); level ("warning", "overdue" or "escalation-<percent>"); stage (str);
#   percent (share of the stage limit used at that level: 80, 100, 150 …); notify (tuple of EscalationTarget
#   values, empty for warning and overdue: tell the people working the case); lift_to_city and
#   propose_supervision (bool).
# A receiver's failure rolls the whole announcement back and the follow-up is retried, so a receiver may see a
# batch again and must be idempotent (the event id is a natural de-duplication key). A batch holds up to
# thousands of marks: receivers should work on the whole list at once rather than mark by mark.
timers_fired = Signal()
