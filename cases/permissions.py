"""One answer to "may this user take this action on this case?", shared by pages, API and tasks."""

from accounts.models import Role
from accounts.scope import user_scope

from .workflow import ACTIONS, ASSIGNEE, LEAD_DEPARTMENT


def case_action_role(*, user, case, action):
    """The role under which `user` may take `action` on `case`, whatever its status; None if no role fits."""
    scope = user_scope(user)
    if action.scope == ASSIGNEE:
        held = case.assignee_id == user.pk and Role.GRID_WORKER in scope.roles
        return Role.GRID_WORKER if held else None
    if action.scope == LEAD_DEPARTMENT:
        roles, _path = scope.department_roles.get(case.lead_department_id, (set(), ""))
        return Role.HANDLER if Role.HANDLER in roles else None
    for path, roles in sorted(scope.region_roles.items()):
        if case.region_path.startswith(path):
            for role in sorted(action.roles & roles):
                return role
    return None


def extension_needs_leader(*, case, request):
    """A second extension request, or one longer than a dispatcher may grant, needs a leader (DOMAIN §4)."""
    from django.conf import settings

    earlier = case.requests.filter(kind="extension", id__lt=request.pk).exists()
    return earlier or request.hours > settings.CASE_EXTENSION_DISPATCHER_MAX_HOURS


def case_allowed_actions(*, user, case, pending=()):
    """Names of the actions `user` may take on `case` now, given its pending requests."""
    pending_kinds = {r.kind for r in pending}
    allowed = []
    for action in ACTIONS.values():
        if case.status not in action.sources or not _precondition(case, action.name, pending_kinds):
            continue
        role = case_action_role(user=user, case=case, action=action)
        if role is None:
            continue
        if action.name == "approve_extension" and role != Role.LEADER:
            request = next(r for r in pending if r.kind == "extension")
            if extension_needs_leader(case=case, request=request):
                continue
        allowed.append(action.name)
    return allowed


def _precondition(case, name, pending_kinds):
    if name == "self_close":
        return case.self_handled
    if name in ("approve_extension", "reject_extension"):
        return "extension" in pending_kinds
    if name == "request_extension":
        return "extension" not in pending_kinds
    return True
