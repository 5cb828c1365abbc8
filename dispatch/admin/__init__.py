"""Admin of the dispatch app, one module per area; the notifications' admin is in dispatch.notifications.admin."""

from dispatch.notifications import admin as notifications  # noqa: F401

from . import exports, orders, phrases, routing, timers  # noqa: F401
