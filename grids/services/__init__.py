"""Write use-cases of the grid: divisions, boundaries, departments."""

from .boundaries import BoundaryImportReport, boundaries_import, region_boundary_replace
from .divisions import area_class_for, divisions_import
from .errors import GridImportError
from .huizhou import grid_load_huizhou
from .pieces import region_pieces_rebuild
from .synthetic import boundaries_generate

__all__ = [
    "BoundaryImportReport",
    "GridImportError",
    "area_class_for",
    "boundaries_generate",
    "boundaries_import",
    "divisions_import",
    "grid_load_huizhou",
    "region_boundary_replace",
    "region_pieces_rebuild",
]
