"""Who may write through the data-sharing API: reads need a signed-in user, writes an administrator."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .scope import user_scope


def is_administrator(user) -> bool:
    """Superusers and holders of a current administrator posting (the scope that covers everything)."""
    return bool(user and user.is_authenticated and user_scope(user).everything)


class ReadOrAdministratorWrites(BasePermission):
    """GET/HEAD/OPTIONS for every signed-in user (each list is scoped by its queryset); POST, PUT, PATCH and
    DELETE for administrators only — the reference data a script keeps in step with another system."""

    message = _("Only an administrator may change this.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or is_administrator(request.user)
