from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .scope import user_scope
from .surfaces import SURFACES


@dataclass(frozen=True)
class HomeLink:
    url: str
    label: str
    description: str
    icon: str
    current: bool = False


def home_links(user, path=""):
    """The pages this user's roles open, in the order of the closed loop, and the admin for staff."""
    links = [
        HomeLink(s.path, s.label, s.description, s.icon, current=path.startswith(s.path))
        for s in SURFACES
        if s.listed_for(user)
    ]
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
