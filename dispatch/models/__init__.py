"""Models of the dispatch app, one module per area."""

from .counts import QueueCount, QueueCountDelta  # noqa: F401
from .exports import Export, ExportFormat, ExportState, ExportSurface  # noqa: F401
from .followup import FollowUp, FollowUpKind, FollowUpState  # noqa: F401
from .notifications import (  # noqa: F401
    Channel,
    EmergencyAlert,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
)
from .orders import OrderState, SupervisionOrder  # noqa: F401
from .phrases import CannedPhrase  # noqa: F401
from .public import PublicFollow, token_digest, token_new  # noqa: F401
from .routing import CaseRouting, CommandLevel, ResponsibilityRule, RoutingBasis  # noqa: F401
from .timers import EscalationStep, EscalationTarget, TimerMark  # noqa: F401
