"""Read use-cases of the assessment: results of a period (frozen or live), trends, and the side figures."""

from .reports import (
    bulletin_splits,
    bulletin_splits_by_region,
    hotspot_features,
    score_map_features,
    top_categories,
    top_categories_by_region,
)
from .results import (
    PeriodResults,
    case_list_for_figure,
    change,
    indicator_names,
    period_results,
    period_source,
    run_latest,
    runs_of_period,
    scheme_versions_in_force,
    schemes_for_subject,
    trend,
)
from .schemes import scheme_overview

__all__ = [
    "PeriodResults",
    "bulletin_splits",
    "bulletin_splits_by_region",
    "case_list_for_figure",
    "change",
    "hotspot_features",
    "indicator_names",
    "period_results",
    "period_source",
    "run_latest",
    "runs_of_period",
    "scheme_overview",
    "scheme_versions_in_force",
    "schemes_for_subject",
    "score_map_features",
    "top_categories",
    "top_categories_by_region",
    "trend",
]
