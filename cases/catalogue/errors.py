"""Errors of the catalogue; commands turn them into CommandError, the API handler into 400."""

from django.core.exceptions import ValidationError


class CatalogueImportError(Exception):
    """A catalogue file cannot be imported; `problems` lists every bad row, nothing was written."""

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self):
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])


# Both are ValidationErrors so that registering a case with an unconfigured condition is a clear 400, not a 500.
class TimeLimitNotConfigured(ValidationError):
    """No handling time limit exists for a filing condition, urgency and area class."""


class StepLimitNotConfigured(ValidationError):
    """No time limit exists for one of the centre's own steps."""
