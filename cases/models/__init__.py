from .calendar import CalendarDay, CalendarYear, DayKind, WorkingPeriod
from .case import (
    Case,
    CaseEvent,
    CaseNumberSequence,
    CasePhoto,
    CaseRequest,
    PhotoKind,
    RequestKind,
    RequestState,
    Source,
    Stage,
)
from .catalogue import Category, CategoryKind, Clock, FilingCondition, Step, StepLimit, TimeLimit, TimeUnit, Urgency
from .status import FINAL_STATUSES, Light, Status

__all__ = [
    "FINAL_STATUSES",
    "Case",
    "CaseEvent",
    "CaseNumberSequence",
    "CasePhoto",
    "CaseRequest",
    "Light",
    "PhotoKind",
    "RequestKind",
    "RequestState",
    "Source",
    "Stage",
    "Status",
    "CalendarDay",
    "CalendarYear",
    "DayKind",
    "WorkingPeriod",
    "Category",
    "CategoryKind",
    "Clock",
    "FilingCondition",
    "Step",
    "StepLimit",
    "TimeLimit",
    "TimeUnit",
    "Urgency",
]
