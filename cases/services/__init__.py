"""Write use-cases of cases: intake (`case_report`) and the one writer of a case's status (`case_transition`)."""

from .intake import case_report
from .transitions import case_transition

__all__ = ["case_report", "case_transition"]
