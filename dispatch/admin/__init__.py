"""Admin of the dispatch app, one module per area."""

from dispatch.notifications import admin as notifications  # noqa: F401

from . import orders, routing, timers  # noqa: F401
