"""What part of the grid a user works over: the one source every `visible_to(user)` filter reads."""

from dataclasses import dataclass, field

from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    # region path -> roles held over that subtree
    region_roles: dict = field(default_factory=dict)
    # department id -> (roles, home region path)
    department_roles: dict = field(default_factory=dict)

    @property
    def roles(self):
        held = set()
        for roles in self.region_roles.values():
            held |= roles
        for roles, _path in self.department_roles.values():
            held |= roles
        return held

    def region_paths(self, role=None):
        """Subtree roots (paths) the user covers, with `role` if given; department postings cover their home region."""
        paths = {p for p, roles in self.region_roles.items() if role is None or role in roles}
        paths |= {path for roles, path in self.department_roles.values() if role is None or role in roles}
        return sorted(paths)

    def grid_roots(self):
        """The grid subtrees the user's region postings cover, a subtree inside another left out: disjoint."""
        roots = []
        for path in sorted(p for p, roles in self.region_roles.items() if roles):
            if not any(path.startswith(root) for root in roots):
                roots.append(path)
        return roots

    def department_ids(self, role=None):
        return sorted(d for d, (roles, _p) in self.department_roles.items() if role is None or role in roles)

    def covers_path(self, path, role=None):
        return self.everything or any(path.startswith(root) for root in self.region_paths(role))


def ancestor_paths(path):
    """'/4413/441302/441302001/' -> ['/4413/', '/4413/441302/', '/4413/441302/441302001/']."""
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def subtree_q(paths, field_name="path"):
    """A Q matching rows whose `field_name` lies in any of the subtrees rooted at `paths` (nothing when empty)."""
    q = Q(pk__in=[])
    for root in paths:
        q |= Q(**{f"{field_name}__startswith": root})
    return q


def user_scope(user):
    """The user's scope, read once per user object from their current postings."""
    cached = getattr(user, "_cityops_scope", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        scope = Scope()
    else:
        from accounts.models import Posting, Role

        region_roles, department_roles = {}, {}
        everything = user.is_superuser
        # The paths alone: the postings' grids and home regions are never built (nor their boundaries read and
        # parsed, a polygon each), on every request of a signed-in user.
        postings = (
            Posting.objects.current()
            .filter(user=user)
            .values_list("role", "region_id", "region__path", "department_id", "department__home_region__path")
        )
        for role, region_id, region_path, department_id, home_path in postings:
            if role == Role.ADMINISTRATOR:
                everything = True
            if region_id:
                region_roles.setdefault(region_path, set()).add(role)
            else:
                roles, _path = department_roles.setdefault(department_id, (set(), home_path))
                roles.add(role)
        scope = Scope(everything=everything, region_roles=region_roles, department_roles=department_roles)
    user._cityops_scope = scope
    return scope
