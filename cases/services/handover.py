"""Work handed on after a commit (a task to send, ids to announce), optionally gathered over many commits.

A worker that makes hundreds of changes a minute, each in a transaction of its own (the sensing run), would send a
message per transaction; within `handovers_gathered()` the items of every commit are gathered per receiving function
and handed over once per flush (the run flushes after each batch), in the order they committed.
"""

import contextlib
import contextvars

from django.db import transaction

_gathered = contextvars.ContextVar("handovers_gathered", default=None)


def handover_on_commit(function, items) -> None:
    """`function(items)` once the caller's transaction commits (nothing when it rolls back); within
    `handovers_gathered()`, at the block's next flush together with the items of the other commits."""
    items = list(items)
    gathered = _gathered.get()
    if gathered is None:
        transaction.on_commit(lambda: function(items))
    else:
        transaction.on_commit(lambda: gathered.setdefault(function, []).extend(items))


@contextlib.contextmanager
def handovers_gathered():
    """Gather the hand-overs of the commits within the block; yields the flush (also called on leaving it)."""
    gathered = {}
    token = _gathered.set(gathered)
    try:
        yield lambda: _flush(gathered)
    finally:
        _gathered.reset(token)
        _flush(gathered)


def _flush(gathered):
    while gathered:
        function = next(iter(gathered))
        function(gathered.pop(function))
