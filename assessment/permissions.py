"""Who may read which part of the assessment; one function per decision, shared by pages and exports.

Assessors and leaders read the dashboard over the grid they are posted to (all of it when posted at the city);
a department handler reads only their own department's page and the cases behind its figures. Whatever lies
outside a user's scope does not exist for them (404); a page their roles do not open at all is refused (403).
"""

from django.db.models import Q

from accounts.models import Posting, Role
from accounts.scope import subtree_q, user_scope
from accounts.surfaces import ASSESSMENT
from grids.models import Department, Region

# Who reads the dashboard is who opens /assessment/ (accounts.surfaces).
READER_ROLES = ASSESSMENT.roles


def reads_dashboard(user) -> bool:
    """Assessors, leaders and administrators read the dashboard, rankings, exports and bulletins."""
    return ASSESSMENT.opens_for(user)


def may_recompute(user) -> bool:
    scope = user_scope(user)
    return scope.everything or Role.ASSESSOR in scope.roles


def reader_region_roots(user) -> list[str]:
    """Paths of the subtrees whose assessment the user reads ("/" for everything)."""
    scope = user_scope(user)
    if scope.everything:
        return ["/"]
    return sorted({p for role in READER_ROLES for p in scope.region_paths(role)})


def region_readable(user, path: str) -> bool:
    return any(path.startswith(root) for root in reader_region_roots(user))


def departments_readable(user):
    """Departments whose page the user may open: a reader's visible departments, a handler's own ones."""
    scope = user_scope(user)
    if scope.everything:
        return Department.objects.all()
    if reads_dashboard(user):
        return Department.objects.visible_to(user)
    return Department.objects.filter(pk__in=scope.department_ids(Role.HANDLER))


def regions_readable(user):
    roots = reader_region_roots(user)
    if roots == ["/"]:
        return Region.objects.all()
    return Region.objects.filter(subtree_q(roots))


def post_holders_readable(user, role, *, first, last) -> set | None:
    """Ids of the people whose posting in `role` during first..last lies in the reader's regions; None: everyone.

    A post's ranking names people: a district reader sees the people posted in their district, not those of
    other districts nor the city's own staff; a reader of the whole city (or of everything) sees them all.
    """
    roots = reader_region_roots(user)
    if roots == ["/"] or Region.objects.filter(path__in=roots, parent__isnull=True).exists():
        return None
    postings = Posting.objects.filter(subtree_q(roots, "region__path"), role=role).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=last), Q(valid_to__isnull=True) | Q(valid_to__gte=first)
    )
    return set(postings.values_list("user_id", flat=True))
