"""Models of the dispatch app, one module per area."""

from .exports import Export, ExportFormat, ExportState, ExportSurface  # noqa: F401
from .notifications import Channel, Notification, NotificationKind, OutboxMessage, OutboxState  # noqa: F401
from .orders import OrderState, SupervisionOrder  # noqa: F401
from .routing import CaseRouting, CommandLevel, ResponsibilityRule  # noqa: F401
from .timers import EscalationStep, EscalationTarget, TimerMark  # noqa: F401
