"""Signals other apps listen to. Sent only after the transaction commits, with ids, never objects."""

from django.dispatch import Signal

# case_transitioned(sender=Case, case_id=int, event_id=int, action=str, from_status=str, to_status=str)
# Receivers run after commit; they must be idempotent (the event id is a natural de-duplication key).
case_transitioned = Signal()
