"""Errors the grid services raise; commands turn them into CommandError, the API into 400."""


class GridImportError(Exception):
    """An input file cannot be imported; `problems` lists every bad row or feature, nothing was written."""

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self):
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])
