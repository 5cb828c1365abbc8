from django.contrib.gis.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Role
from accounts.scope import subtree_q, user_scope

from .status import FINAL_STATUSES


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
            q |= self.department_q(departments) | self.summoned_q(departments)
        return self.filter(q)

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
        return self.exclude(status__in=FINAL_STATUSES)

    def for_list(self):
        return self.select_related("category", "region", "lead_department").defer("region__geom")
