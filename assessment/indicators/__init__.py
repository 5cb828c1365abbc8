"""Indicators of DOMAIN §8: input counts (counts.py) in SQL (sql.py), rates derived from them (rates.py)."""

from .counts import COUNTS, DEPARTMENT, POST, REGION
from .rates import DEPARTMENT_INDICATORS, INDICATORS, POST_INDICATORS, REGION_INDICATORS, indicator_values

__all__ = [
    "COUNTS",
    "DEPARTMENT",
    "DEPARTMENT_INDICATORS",
    "INDICATORS",
    "POST",
    "POST_INDICATORS",
    "REGION",
    "REGION_INDICATORS",
    "indicator_values",
]
