"""The grid (regions down to unit grids), departments, the facility inventory and the grid's daily work."""

from .duty import DutyKind, DutyShift, Network, PatrolArea, PatrolSession, TrackPoint
from .facilities import Facility, FacilityState
from .regions import (
    LEVEL_DEPTH,
    AreaClass,
    BoundaryVersion,
    Department,
    DepartmentKind,
    DepartmentLevel,
    Level,
    Region,
    RegionPiece,
    UnitGridLayer,
)

__all__ = [
    "LEVEL_DEPTH",
    "AreaClass",
    "BoundaryVersion",
    "Department",
    "DepartmentKind",
    "DepartmentLevel",
    "DutyKind",
    "DutyShift",
    "Facility",
    "FacilityState",
    "Level",
    "Network",
    "PatrolArea",
    "PatrolSession",
    "Region",
    "RegionPiece",
    "TrackPoint",
    "UnitGridLayer",
]
