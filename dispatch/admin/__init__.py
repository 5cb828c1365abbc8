"""Admin of the dispatch app, one module per area."""

from . import notifications, orders, routing, timers  # noqa: F401
