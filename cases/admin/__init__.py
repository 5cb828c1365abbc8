"""Admin for the catalogue, the calendar and cases; one module each (Open311 clients in cases.open311.admin)."""

from cases.open311 import admin as open311_admin  # noqa: F401

from . import calendar, catalogue, enforcement, sensing  # noqa: F401
