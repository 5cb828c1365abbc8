from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.scope import ancestor_paths, subtree_q, user_scope


class RegionQuerySet(models.QuerySet):
    def current(self, today=None):
        today = today or timezone.localdate()
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))

    def subtree(self, region):
        return self.filter(path__startswith=region.path)

    def visible_to(self, user):
        """Regions inside the subtrees the user is posted to; out of scope is simply absent (404)."""
        scope = user_scope(user)
        if scope.everything:
            return self.all()
        return self.filter(subtree_q(scope.region_paths()))


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Departments based in the user's subtrees or above them (a city bureau serves every district)."""
        scope = user_scope(user)
        if scope.everything:
            return self.all()
        q = subtree_q(scope.region_paths(), "home_region__path") | Q(pk__in=scope.department_ids())
        above = {a for root in scope.region_paths() for a in ancestor_paths(root)}
        return self.filter(q | Q(home_region__path__in=sorted(above)))


class FacilityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Facilities in the user's subtrees, and those their departments own or maintain (any district)."""
        scope = user_scope(user)
        if scope.everything:
            return self.all()
        departments = scope.department_ids()
        q = subtree_q(scope.region_paths(), "region_path")
        if departments:
            q |= Q(owner_id__in=departments) | Q(maintainer_id__in=departments)
        return self.filter(q)
