from django.contrib.gis.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Role
from accounts.scope import subtree_q, user_scope


def overdue_q(now):
    """Past the stage deadline, or suspended after it had passed."""
    from .models import Status  # the models import this module

    return Q(stage_deadline__lt=now) | Q(status=Status.SUSPENDED, stage_remaining_minutes__lt=0)


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
        region_paths = [p for p, roles in scope.region_roles.items() if roles]
        q = subtree_q(region_paths, "region_path") | Q(reporter=user) | Q(assignee=user)
        departments = scope.department_ids(Role.HANDLER)
        if departments:
            q |= self.department_q(departments)
        return self.filter(q)

    def department_q(self, departments):
        """Cases led or assisted by any of `departments` (one EXISTS, no duplicate rows from the M2M join)."""
        assisting = self.model.assisting_departments.through.objects.filter(
            case=OuterRef("pk"), department__in=departments
        )
        return Q(lead_department__in=departments) | Exists(assisting)

    def for_departments(self, departments):
        return self.filter(self.department_q(departments))

    def open(self):
        from .models.case import FINAL_STATUSES

        return self.exclude(status__in=FINAL_STATUSES)

    def overdue(self, now):
        """Past the stage deadline, or suspended after it had passed (same rule as Case.is_overdue_at)."""
        return self.filter(overdue_q(now))

    def for_list(self):
        return self.select_related("category", "region", "lead_department").defer("region__geom")
