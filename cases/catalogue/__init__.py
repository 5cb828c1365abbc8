"""The 部件/事件 catalogue: loading it from data (services) and finding categories and limits (selectors)."""

from .errors import CatalogueImportError, StepLimitNotConfigured, TimeLimitNotConfigured
from .selectors import active_minor_category, category_search, step_limit_for, time_limit_for
from .services import DEFAULT_CATALOGUE, catalogue_import, catalogue_seed, category_initials, time_limit_check

__all__ = [
    "DEFAULT_CATALOGUE",
    "active_minor_category",
    "CatalogueImportError",
    "StepLimitNotConfigured",
    "TimeLimitNotConfigured",
    "catalogue_import",
    "catalogue_seed",
    "category_initials",
    "category_search",
    "step_limit_for",
    "time_limit_check",
    "time_limit_for",
]
