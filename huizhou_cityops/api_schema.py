"""The OpenAPI schema's view class: every operation also documents the error answers of errors.py."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .errors import ErrorSerializer

# 400 answers name the fields they refuse ({"lat": ["…"], "non_field_errors": ["…"]}), so their keys vary.
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": True,
    "description": "Field name → messages; non_field_errors for the request as a whole.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the 400/401/403/404/409 answers that huizhou_cityops.errors can give."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, response in self._error_responses(operation).items():
            responses.setdefault(code, response)
        return operation

    def _error_responses(self, operation):
        error = ErrorSerializer
        answers = {}
        has_query = any(p["in"] in ("query", "header") for p in operation.get("parameters", ()))
        if self.method in WRITE_METHODS or has_query:
            answers["400"] = self._answer("400", VALIDATION_ERROR, "Invalid input: a message for each field refused.")
        if "requestBody" in operation:
            answers["415"] = self._answer("415", error, "The body's content type is not one of those documented.")
        if not self._is_public():
            answers["401"] = self._answer("401", error, "Not signed in: send a token or a session cookie.")
            answers["403"] = self._answer("403", error, "Your role may not do this.")
        if "{" in self.path:
            # Out of scope is answered like "does not exist", so nobody learns that a case exists.
            answers["404"] = self._answer("404", error, "No such object in your scope.")
        if self.method in WRITE_METHODS and not self._is_public():
            answers["409"] = self._answer("409", error, "Not allowed in the current state, or changed meanwhile.")
        return answers

    def _answer(self, code, schema, description):
        return self._get_response_for_code(OpenApiResponse(response=schema, description=description), code)

    def _is_public(self):
        permissions = self.view.get_permissions()
        return not permissions or any(isinstance(permission, AllowAny) for permission in permissions)
