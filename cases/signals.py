"""Signals other apps listen to. Sent after the transaction commits, with ids, never objects; except
`case_event_written`, which is sent inside it on purpose."""

from django.dispatch import Signal

# case_transitioned(sender=Case, case_id=int, event_id=int, action=str, from_status=str, to_status=str)
# Receivers run after commit, in the committing process: a process that dies right then never sends it, so work
# that must happen is written as follow-up rows from `case_event_written` instead (dispatch.followups). Receivers
# must be idempotent (the event id is a natural de-duplication key).
case_transitioned = Signal()

# case_event_written(sender=Case, case=Case, event=CaseEvent)
# Sent inside the transaction that writes the event (case_event_record), with the case as just saved: for
# follow-up rows that must commit or roll back with the event (the follow-up outbox's routing and notifications,
# an emergency's alert into the outbox). Receivers write rows only (no network, no slow work); an exception rolls
# the whole action back.
case_event_written = Signal()

# sensing_source_flooded(sender=SensingSource, source_id=int, window=int, limit=int, period=int)
# A sensing source posted more than its limit in the rate window `window` (seconds since the epoch // period); sent
# once per source and window, outside any transaction. Dispatch tells the administrators (dispatch.notifications).
sensing_source_flooded = Signal()
# Sent after commit for every step of an enforcement chain: enforcement_id, action.
enforcement_changed = Signal()
