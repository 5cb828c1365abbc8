from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .scope import user_scope


@dataclass(frozen=True)
class HomeLink:
    url: str
    label: str
    description: str
    icon: str
    current: bool = False


# Which work surface each role opens. Paths, not URL names: the pages live in other apps and may be absent.
SURFACES = [
    (
        "/command/",
        {Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER},
        _("Command centre"),
        _("Work queues with live counts, the map of cases and grids, and the case panel with its actions."),
        "指",
    ),
    (
        "/dept/",
        {Role.HANDLER},
        _("Department workspace"),
        _("Your department's cases by traffic light: handling feedback, return, extension and suspension requests."),
        "办",
    ),
    (
        "/m/",
        {Role.GRID_WORKER},
        _("Mobile report form"),
        _("Report a problem with photos and location; your verification and check tasks."),
        "采",
    ),
    (
        "/assessment/",
        {Role.ASSESSOR, Role.LEADER},
        _("Assessment"),
        _("Indicators, scores and bulletins of districts, departments and posts."),
        "评",
    ),
]


def home_links(user, path=""):
    """The pages this user's roles open, in the order of the closed loop, and the admin for staff."""
    scope = user_scope(user)
    links = []
    for url, roles, label, description, icon in SURFACES:
        if scope.everything or scope.roles & roles:
            links.append(HomeLink(url, label, description, icon, current=path.startswith(url)))
    if user.is_staff:
        url = reverse("admin:index")
        links.append(
            HomeLink(url, _("Administration"), _("People, grids, catalogue, calendar."), "管", path.startswith(url))
        )
    return links


@login_required
def home(request):
    """The start page: what the user may open, from their roles."""
    scope = user_scope(request.user)
    roles = sorted(str(Role(r).label) for r in scope.roles if r in Role.values)
    if scope.everything and not roles:
        roles = [str(Role.ADMINISTRATOR.label)]
    context = {"roles": roles, "scope": scope, "links": home_links(request.user)}
    return render(request, "home.html", context)
