from typing import NamedTuple

from django.contrib.gis.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Role
from accounts.scope import subtree_q, user_scope

from .status import open_q


class CaseFacts(NamedTuple):
    """What `visible_to` asks of a case, read once for many users (the live stream's shared read)."""

    region_path: str | None
    reporter_id: int | None
    assignee_id: int | None
    lead_department_id: int | None
    # The departments that assist it or that a whistle summoned to it.
    other_department_ids: frozenset


def case_visible_to(user, facts: CaseFacts) -> bool:
    """`Case.objects.visible_to(user)` for one case's facts, in Python: the same rule, for a read shared by many
    users (tests/dispatch/test_live_batch.py holds the two side by side)."""
    scope = user_scope(user)
    if scope.everything:
        return True
    if not user.is_authenticated:
        return False
    if facts.region_path is not None and any(
        facts.region_path.startswith(path) for path, roles in scope.region_roles.items() if roles
    ):
        return True
    if user.pk in (facts.reporter_id, facts.assignee_id):
        return True
    departments = scope.department_ids(Role.HANDLER)
    return bool(departments) and (
        facts.lead_department_id in departments or not facts.other_department_ids.isdisjoint(departments)
    )


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Cases the user may know exist: their grids' cases, their departments' cases, their own tasks.

        Everything else is absent, so out-of-scope detail pages answer 404, never 403.
        """
        scope = user_scope(user)
        if scope.everything:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(subtree_q(scope.grid_roots(), "region_path") | self.beyond_grids_q(user))

    def beyond_grids_q(self, user):
        """What a signed-in user sees beyond their grids' subtrees: the cases they reported or are assigned to,
        their departments' cases (the command centre's counts read the subtrees from counters, these live)."""
        q = Q(reporter=user) | Q(assignee=user)
        departments = user_scope(user).department_ids(Role.HANDLER)
        if departments:
            q |= self.department_q(departments) | self.summoned_q(departments)
        return q

    def department_q(self, departments):
        """Cases led or assisted by any of `departments` (one EXISTS, no duplicate rows from the M2M join)."""
        assisting = self.model.assisting_departments.through.objects.filter(
            case=OuterRef("pk"), department__in=departments
        )
        return Q(lead_department__in=departments) | Exists(assisting)

    def summoned_q(self, departments):
        """Cases a whistle (吹哨) summoned any of `departments` to: they see the case, read-only, to report."""
        from .assist import Summons

        return Exists(Summons.objects.filter(case=OuterRef("pk"), department__in=departments))

    def for_departments(self, departments):
        return self.filter(self.department_q(departments))

    def open(self):
        return self.filter(open_q())

    def for_list(self):
        return self.select_related("category", "region", "lead_department").defer("region__geom")
