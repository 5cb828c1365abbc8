"""Free heap pages handed back to the system after requests that grew a web worker (glibc's malloc_trim).

A request that builds a large answer (the assessment dashboard, the transparency data) frees what it built when it
ends, but glibc keeps most of the freed pages in its heap: the worker's RSS stays where the request took it, and the
next heavy requests, several at once on the worker's threads, climb from there. Part of what a request built is not
even freed when it ends: every page leaves reference cycles behind (templates' contexts, related objects' caches;
hundreds to a few thousand objects a request), which wait for the collector's next pass over its oldest generation.
`trim_after_requests` collects them and returns the free pages once a request ends and the worker's RSS is more than
`step_mb` above where the last trim left it: a call now and then (after the requests that build large answers),
each a few milliseconds of the collection with the application preloaded (the master's objects frozen out of its
reach before the fork; without preloading it walks the whole heap); between them a request costs one read of
/proc/self/statm. Nothing else changes: the pages come back zeroed when the heap
needs them again.

Without glibc (no malloc_trim) this does nothing.
"""

import ctypes
import ctypes.util
import gc
import logging
import os
import threading

from django.core.signals import request_finished

logger = logging.getLogger(__name__)

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """This process's resident set size (the second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


class Trimmer:
    """Calls `trim()` when a request ends with the RSS over `step` bytes above the level after the last trim."""

    def __init__(self, step: int, trim, rss=rss_bytes):
        self.step, self._trim, self._rss = step, trim, rss
        self.floor = rss()
        self.trims = 0
        self._lock = threading.Lock()

    def __call__(self, **kwargs):
        if self._rss() - self.floor <= self.step or not self._lock.acquire(blocking=False):
            return  # little grown, or another thread is trimming right now
        try:
            self._trim()
            self.trims += 1
            self.floor = self._rss()
        finally:
            self._lock.release()


def trim_after_requests(step_mb: int):
    """Connect a Trimmer to request_finished in this process (a web worker); None when off or not glibc."""
    if step_mb <= 0:
        return None
    try:
        malloc_trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError):
        return None

    def collect_and_trim():
        gc.collect()  # the requests' reference cycles first, so their memory is free to hand back
        malloc_trim(0)

    trimmer = Trimmer(step_mb * 1024 * 1024, collect_and_trim)
    request_finished.connect(trimmer, weak=False, dispatch_uid="cityops-malloc-trim")
    return trimmer
