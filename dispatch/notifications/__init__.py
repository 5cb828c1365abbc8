"""Notifications of case events: who is told (selectors), the inbox (services, api, admin), the email/SMS outbox
and its delivery (outbox, sms, tasks), and the signal receivers that start it all (receivers).

The tables stay in dispatch.models.notifications. Import from the modules themselves: this package imports
nothing at load, so loading one part does not load the others.
"""
