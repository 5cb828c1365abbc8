"""The shared pieces of the enforcement chain: its timed step, its event rows and its opening by a transfer (移送).

The transfer is a case action (`transfer_to_enforcement` in `actions.py`), so its effect opens the chain here; the
later steps are `cases.services.enforcement`, which uses the same step clock and event writer.
"""

from uuid import uuid4

from django.db import transaction
from django.utils import timezone

from cases.clock import WORKING, add_time, hours_duration, stage_pause
from cases.models import (
    ENFORCEMENT_DONE,
    STEP_OF_STATE,
    EnforcementCase,
    EnforcementEvent,
    EnforcementState,
    EnforcementStepLimit,
)
from cases.signals import enforcement_changed


def step_limit_hours(step):
    """The working hours the catalogue allows `step` (None when the administrator removed its row)."""
    return EnforcementStepLimit.objects.filter(step=step).values_list("hours", flat=True).first()


def step_deadline(step, start):
    """When `step`, started at `start`, is due on the working-time clock; None without a limit."""
    hours = step_limit_hours(step)
    if hours is None:
        return None
    return add_time(start=start, duration=hours_duration(hours), clock=WORKING)


def step_move(enforcement, state, now):
    """Put the chain in `state` and start the step that state is timed on; returns the ended step's facts."""
    ended = {"step": enforcement.step, "step_deadline": enforcement.step_deadline}
    ended["step_met"] = None if enforcement.step_deadline is None else now <= enforcement.step_deadline
    new_step = STEP_OF_STATE.get(state, "")
    if new_step != enforcement.step:
        enforcement.step = new_step
        enforcement.step_started_at = now if new_step else None
        enforcement.step_deadline = step_deadline(new_step, now) if new_step else None
        enforcement.overdue = False
    else:
        ended = {"step": "", "step_deadline": None, "step_met": None}
    enforcement.state = state
    return ended


def enforcement_event_record(
    *, enforcement, action, from_state, actor, role, now, note="", data=None, department=None, ended=None
):
    """Write the chain's immutable event row in the caller's transaction; tell listeners after commit."""
    event = EnforcementEvent.objects.create(
        enforcement=enforcement,
        action=action,
        from_state=from_state,
        to_state=enforcement.state,
        actor=actor,
        actor_role=role,
        at=now,
        note=note,
        data=data or {},
        department=department or enforcement.body,
        region_path=enforcement.region_path,
        **(ended or {"step": "", "step_deadline": None, "step_met": None}),
    )
    pk, name = enforcement.pk, action
    transaction.on_commit(lambda: enforcement_changed.send(sender=EnforcementCase, enforcement_id=pk, action=name))
    return event


def enforcement_open(*, case, body, violation, actor, role, note, now):
    """Open an enforcement sub-case of the locked `case` for `body`; pauses the case's clock when its category says."""
    pauses = bool(case.category.enforcement_pauses_clock) and case.stage_deadline is not None
    enforcement = EnforcementCase.objects.create(
        number=f"tmp{uuid4().hex[:20]}",  # replaced below, once the id is known
        source=case,
        body=body,
        violation=violation,
        note=note,
        region_path=case.region_path,
        source_clock_paused=pauses,
        transferred_by=actor,
        transferred_at=now,
    )
    # The number carries the day (Asia/Shanghai) and the row's id: unique without a second sequence table.
    enforcement.number = f"ZF{timezone.localtime(now):%Y%m%d}{enforcement.pk:06d}"
    ended = step_move(enforcement, EnforcementState.TRANSFERRED, now)
    enforcement.save()
    enforcement.evidence.set(case.photos.all())
    enforcement_event_record(
        enforcement=enforcement,
        action="transfer",
        from_state="",
        actor=actor,
        role=role,
        now=now,
        note=note,
        data={"source": case.number, "violation": violation, "clock_paused": pauses},
        ended=ended | {"step": "", "step_deadline": None, "step_met": None},
    )
    if pauses:
        stage_pause(case, now)
    return enforcement


def chain_in_progress(case) -> bool:
    """Whether an enforcement chain of `case` is still running (not declined, not yet reported back)."""
    return EnforcementCase.objects.filter(source=case).exclude(state__in=ENFORCEMENT_DONE).exists()
