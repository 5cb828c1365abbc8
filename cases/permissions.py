"""One answer to "may this user take this action on this case?", shared by pages, API and tasks.

The answer is the action's declaration (cases/workflow): the service refuses exactly what is not offered.
"""

from .workflow import ACTIONS


def case_action_role(*, user, case, action):
    """The role under which `user` may take `action` on `case` as far as its scope goes; None if no role fits."""
    roles = action.candidate_roles(user=user, case=case)
    return roles[0] if roles else None


def case_allowed_actions(*, user, case, pending=()):
    """Names of the actions `user` may take on `case` now, given its pending requests (rows or a kind → row dict)."""
    by_kind = pending if isinstance(pending, dict) else {r.kind: r for r in pending}
    return [name for name, spec in ACTIONS.items() if spec.permits(user=user, case=case, pending=by_kind)]
