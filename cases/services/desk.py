"""The centre's intake desk: a call or a visitor becomes a case, accepted and filed in the same step when allowed."""

from django.db import transaction

from accounts.scope import user_scope
from cases.models import Case
from cases.workflow import ACTIONS

from .intake import case_report
from .transitions import case_transition

# What the desk may do right after entering a case, in order: 受理 (accept), then 立案 (register).
DESK_STEPS = ("accept", "register")


def desk_steps_for(user) -> tuple[str, ...]:
    """The steps after intake that `user`'s roles include (the declarations' roles; the service checks the scope)."""
    roles = user_scope(user).roles
    steps = []
    for name in DESK_STEPS:
        if not ACTIONS[name].roles & roles:
            break  # registering needs the case accepted first
        steps.append(name)
    return tuple(steps)


def case_intake(
    *, actor, report: dict, accept: bool = False, register: dict | None = None, note: str = "", now=None
) -> tuple[Case, tuple[str, ...]]:
    """Enter a case at the desk (`case_report(**report)`), then accept and register it when asked and permitted.

    Returns the case and the steps taken. One transaction: a refused or invalid step (a filing condition not of
    this category, say) rolls the case back too, so nothing is half-written. Each step goes through
    `case_transition`, so its events and follow-ups (routing, auto-dispatch, notifications) happen as usual.
    """
    wanted = [name for name, asked in (("accept", accept or register is not None), ("register", register)) if asked]
    with transaction.atomic():
        case, _created = case_report(actor=actor, now=now, **report)
        taken = []
        for name in wanted:
            if not ACTIONS[name].permits(user=actor, case=case, pending={}):
                break  # not the actor's to take: the case stays as far as it got
            params = register if name == "register" else {}
            case = case_transition(case_id=case.pk, actor=actor, action=name, note=note, params=params, now=now)
            taken.append(name)
    return case, tuple(taken)
