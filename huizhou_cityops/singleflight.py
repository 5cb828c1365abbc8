"""One computation at a time per cache key in a process: the other requests that miss the same key wait for it and
read what it stored.

A web worker serves its requests on threads of their own, several at once. When a costly, cached figure (the
transparency JSON, the assessment dashboard, the big screen) is missing from the cache — it expired, Redis was
emptied — every request that arrives before the first computation ends computes it too: the same tens of megabytes
of rows and text built side by side in one process, which is what set a worker's peak memory. With `single_flight`
the first computes and stores, the others wait on its lock and then find the value in the cache (or, when the cache
does not answer, compute it themselves one after another). Nothing changes in what a request answers.

The locks live only while someone holds or waits on them, so the table stays as small as the number of keys being
computed at this moment.
"""

import threading
from contextlib import contextmanager

_guard = threading.Lock()
# key -> [lock, number of threads holding or waiting on it]
_locks: dict[str, list] = {}


@contextmanager
def single_flight(key: str):
    """Within the block, no other thread of this process is inside a block of the same `key`."""
    with _guard:
        entry = _locks.get(key)
        if entry is None:
            entry = _locks[key] = [threading.Lock(), 0]
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _guard:
            entry[1] -= 1
            if not entry[1]:
                del _locks[key]


def cached_once(key: str, get, compute):
    """`get()` when it answers (not None); otherwise `compute()` under `single_flight(key)`, after one more `get()`:
    a thread that waited finds what the first stored. `compute` stores the value itself and returns it."""
    value = get()
    if value is not None:
        return value
    with single_flight(key):
        value = get()
        if value is None:
            value = compute()
    return value
