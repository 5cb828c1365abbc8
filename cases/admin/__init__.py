"""Admin for the catalogue, the calendar and cases; one module each."""

from . import calendar, catalogue, enforcement  # noqa: F401
