"""Live updates for the command centre's and the department's screens: server-sent events under ASGI.

hub.py    one Redis pub/sub subscription per server process, fanned out to that process's streams
stream.py the stream of one screen: what it may see from the database, woken by the hub, with heartbeats
views.py  the async view at /live/events/
"""
