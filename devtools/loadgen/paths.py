"""Which actions a generated case went through: a path of steps that ends in the case's goal.

A step is `(action, outcome, argument)`: the outcome picks the target of `verify`/`check`, the argument is
the department of a dispatch or the hours of an extension request. Every path starts with the intake
("report") and then only uses actions of cases/workflow.py from the status the case is in.
"""

import random

from . import spread

FINAL_GOALS = ("closed", "self_closed", "refused", "merged", "verify_false", "not_registered", "voided")
OPEN_GOALS = tuple(spread.OPEN_STATUS_WEIGHTS)
PATROL = "grid_worker"
RIGHT, WRONG = "right", "wrong"


def _choose(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _hours(rng):
    values, weights = zip(*spread.EXTENSION_HOURS, strict=True)
    return rng.choices(values, weights=weights)[0]


def _extension(rng, steps, *, pending_allowed=False, second=False):
    steps.append(("request_extension", None, _hours(rng)))
    if pending_allowed and rng.random() < spread.PENDING_EXTENSION_SHARE:
        return True
    approved = rng.random() < spread.EXTENSION_APPROVED_SHARE
    steps.append(("approve_extension" if approved else "reject_extension", None, None))
    if approved and not second and rng.random() < spread.SECOND_EXTENSION_SHARE:
        return _extension(rng, steps, pending_allowed=pending_allowed, second=True)
    return False


def _overlays(rng, *, current: bool, pending_allowed: bool):
    """Side steps within one handling round; `current` rounds keep the clock simple (no suspension cycle)."""
    blocks = []
    if rng.random() < spread.EXTENSION_SHARE:
        blocks.append("extension")
    if rng.random() < spread.REJECTED_RETURN_SHARE:
        blocks.append("return")
    if rng.random() < spread.SUSPENSION_SHARE:
        blocks.append("suspension")
    rng.shuffle(blocks)
    if "extension" in blocks:  # a pending request must come last
        blocks.remove("extension")
        blocks.append("extension")
    steps = []
    for block in blocks:
        if block == "extension":
            _extension(rng, steps, pending_allowed=pending_allowed)
        elif block == "return":
            steps += [("request_return", None, None), ("reject_return", None, None)]
        elif current or rng.random() >= spread.SUSPENSION_APPROVED_SHARE:
            steps += [("request_suspension", None, None), ("reject_suspension", None, None)]
        else:
            steps += [("request_suspension", None, None), ("approve_suspension", None, None), ("resume", None, None)]
    return steps


def _intake(rng, steps, *, source, goal):
    if goal == "self_closed":
        steps.append(("self_close", None, None))
        return "done"
    verify = goal in ("verifying", "verify_false") or (source != PATROL and rng.random() < spread.VERIFICATION_SHARE)
    if verify:
        steps.append(("request_verification", None, None))
        if goal == "verifying":
            return "done"
        steps.append(("verify", goal != "verify_false", None))
        if goal == "verify_false":
            return "done"
    if goal in ("refused", "merged"):
        steps.append(("refuse" if goal == "refused" else "merge", None, None))
        return "done"
    return "done" if goal == "reported" else ""


def _dispatch(rng, steps, *, stop_at_to_dispatch=False):
    wrong = rng.random() < spread.WRONG_DISPATCH_SHARE * (3 if stop_at_to_dispatch else 1)
    if wrong:
        steps += [("dispatch", None, WRONG), ("request_return", None, None), ("approve_return", None, None)]
    if not stop_at_to_dispatch:
        steps.append(("dispatch", None, RIGHT))


def _rework_rounds(rng):
    if rng.random() >= spread.REWORK_SHARE:
        return 0
    return 2 if rng.random() < spread.SECOND_REWORK_SHARE else 1


HANDLING_GOALS = {"handling", "return_pending", "suspend_pending", "suspended"}
AFTER_HANDLING = ("feedback", "request_check", "check", "close")
STOP_AFTER = {"to_check": 1, "checking": 2, "to_close": 3, "closed": 4}


def _handling(rng, steps, *, goal, pending_allowed):
    if goal in HANDLING_GOALS:
        steps += _overlays(rng, current=True, pending_allowed=pending_allowed and goal == "handling")
        if goal == "return_pending":
            steps.append(("request_return", None, None))
        elif goal in ("suspend_pending", "suspended"):
            steps.append(("request_suspension", None, None))
            if goal == "suspended":
                steps.append(("approve_suspension", None, None))
        return
    steps += _overlays(rng, current=False, pending_allowed=False)
    for action in AFTER_HANDLING[: STOP_AFTER[goal]]:
        steps.append((action, True if action == "check" else None, None))


def path_build(
    rng: random.Random, *, goal: str, source: str, pending_allowed: bool = True, void_prior: str | None = None
) -> list:
    """The steps of a case that reaches `goal` (a final goal of FINAL_GOALS or an open status).

    A void request (goals "voided", "void_pending") is made from `void_prior`, or from a drawn status.
    """
    steps = [("report", None, None)]
    if goal in ("voided", "void_pending"):
        prior = void_prior or void_prior_draw(rng)
        steps = path_build(rng, goal=prior, source=source, pending_allowed=False)
        steps.append(("request_void", None, None))
        if goal == "voided":
            steps.append(("approve_void", None, None))
        return steps
    if _intake(rng, steps, source=source, goal=goal):
        return steps
    steps.append(("accept", None, None))
    if goal in ("to_register", "not_registered"):
        if goal == "not_registered":
            steps.append(("refuse_registration", None, None))
        return steps
    steps.append(("register", None, None))
    _dispatch(rng, steps, stop_at_to_dispatch=goal == "to_dispatch")
    if goal == "to_dispatch":
        return steps
    for _round in range(_rework_rounds(rng)):
        steps += _overlays(rng, current=False, pending_allowed=False)
        steps += [("feedback", None, None), ("request_check", None, None), ("check", False, None)]
    _handling(rng, steps, goal=goal, pending_allowed=pending_allowed)
    if goal == "closed" and rng.random() < spread.REJECTED_VOID_SHARE:
        _insert_rejected_void(rng, steps)
    return steps


def void_prior_draw(rng):
    """The status a void request is made from."""
    return _choose(rng, spread.VOID_FROM_WEIGHTS)


def _insert_rejected_void(rng, steps):
    """A void request that was turned down, after the intake and before the close, while no other request waits
    (a void request out of handling lets the department's pending requests lapse)."""
    places, waiting = [], 0
    for at, (action, _outcome, _argument) in enumerate(steps[:-1], start=1):
        waiting += action.startswith("request_") and action not in ("request_verification", "request_check")
        waiting -= action.startswith(("approve_", "reject_"))
        if not waiting:
            places.append(at)
    at = rng.choice(places)
    steps[at:at] = [("request_void", None, None), ("reject_void", None, None)]


def goal_draw(rng: random.Random, *, source: str) -> str:
    """How a final case ended, given where it came from."""
    group = "patrol" if source == PATROL else "public" if source.startswith(("public", "hotline")) else "other"
    roll = rng.random()
    for goal, share in spread.ENDINGS[group].items():
        if roll < share:
            return goal
        roll -= share
    return "closed"
