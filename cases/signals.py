"""Signals other apps listen to. Sent after the transaction commits, with ids, never objects; except
`case_event_written`, which is sent inside it on purpose."""

from django.dispatch import Signal

# case_transitioned(sender=Case, case_id=int, event_id=int, action=str, from_status=str, to_status=str)
# Receivers run after commit; they must be idempotent (the event id is a natural de-duplication key).
case_transitioned = Signal()

# case_event_written(sender=Case, case=Case, event=CaseEvent)
# Sent inside the transaction that writes the event (case_event_record), with the case as just saved: for
# follow-up rows that must commit or roll back with the event (an emergency's alert into the outbox). Receivers
# write rows only (no network, no slow work); an exception rolls the whole action back.
case_event_written = Signal()
