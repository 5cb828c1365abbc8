"""Who may open which page: command roles the command centre, handlers the department workspace.

A full page sends anyone else home with a message; the partials and JSON behind it answer 403.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.surfaces import COMMAND, DEPARTMENT, ENFORCEMENT, SCREEN
from dispatch.pages.selectors import has_command_role, has_handler_role


def _role_required(check, message):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if check(request.user):
                return view(request, *args, **kwargs)
            if request.method == "GET" and not request.headers.get("HX-Request") and getattr(view, "is_page", False):
                messages.warning(request, message())
                return redirect("home")
            raise PermissionDenied(message())

        return wrapper

    return decorator


def page(view):
    """Marks a full page (denied users are sent home instead of getting a 403)."""
    view.is_page = True
    return view


command_required = _role_required(has_command_role, lambda: str(COMMAND.refusal))
handler_required = _role_required(has_handler_role, lambda: str(DEPARTMENT.refusal))
# The big screen: the command centre's people (accounts.surfaces.SCREEN).
screen_required = _role_required(SCREEN.opens_for, lambda: str(SCREEN.refusal))
# Exports are made from either page; their list, status and downloads are for the same people.
export_required = _role_required(
    lambda user: has_command_role(user) or has_handler_role(user),
    lambda: str(_("Exports are made from the command centre and the department workspace.")),
)
# The enforcement chain's pages: the command roles and every department's handlers (their own chains and parts).
enforcement_required = _role_required(ENFORCEMENT.opens_for, lambda: str(ENFORCEMENT.refusal))
