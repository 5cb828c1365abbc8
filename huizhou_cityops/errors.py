"""Domain errors and the one place that turns them into HTTP answers (STYLE.md "Errors").

invalid input 400 with field messages · not authenticated 401 · no permission 403 ·
out of scope 404 · illegal or concurrent transition 409.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ConflictError(Exception):
    """The object is not in a state that allows this, or another request changed it first (409)."""

    def __init__(self, message, *, code="conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


def api_exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    return exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """The body of an error answer, for the API schema: the message, and for a conflict its code."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


def not_found(request, exception):
    """404 for a URL that matches no route: JSON under /api/, where clients read JSON, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("No such address in the API.")}, status=404)
    return defaults.page_not_found(request, exception)
