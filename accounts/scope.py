"""What part of the grid a user works over: the one source every `visible_to(user)` filter reads."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone


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


# The user's current postings as (role, region id, region path, department id, department's home region path): the
# paths alone, so the postings' grids and home regions are never built (nor their boundaries read), on every request
# of a signed-in user. Written out rather than built by the ORM on every request (compiling the three joins cost
# more CPU than PostgreSQL's answer); `Posting.objects.current()` is the same validity rule.
POSTING_COLUMNS = "p.role, p.region_id, r.path, p.department_id, home.path"
POSTINGS_FROM = """
FROM accounts_posting AS p
LEFT JOIN grids_region AS r ON r.id = p.region_id
LEFT JOIN grids_department AS d ON d.id = p.department_id
LEFT JOIN grids_region AS home ON home.id = d.home_region_id
WHERE p.user_id = {user} AND (p.valid_from IS NULL OR p.valid_from <= {today})
  AND (p.valid_to IS NULL OR p.valid_to >= {today})
"""


def user_scope(user):
    """The user's scope, read once per user object from their current postings (one query)."""
    cached = getattr(user, "_cityops_scope", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        rows = ()
    else:
        with connection.cursor() as cursor:
            sql = f"SELECT {POSTING_COLUMNS} {POSTINGS_FROM.format(user='%(user)s', today='%(today)s')}"
            cursor.execute(sql, {"user": user.pk, "today": timezone.localdate()})
            rows = cursor.fetchall()
    return scope_from_postings(user, rows)


def scope_from_postings(user, rows):
    """The scope of `user` with these current postings (rows of POSTING_COLUMNS), kept on the user object."""
    from accounts.models import Role

    if not user.is_authenticated or not user.is_active:
        scope = Scope()
    else:
        region_roles, department_roles = {}, {}
        everything = user.is_superuser
        for role, region_id, region_path, department_id, home_path in rows:
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
