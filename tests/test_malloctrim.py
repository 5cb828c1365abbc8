"""huizhou_cityops.malloctrim: free heap pages go back to the system after a request that grew the worker."""

import gc
import weakref

from django.core.signals import request_finished

from huizhou_cityops.malloctrim import Trimmer, rss_bytes, trim_after_requests

MB = 1024 * 1024


class Cycle:
    pass


def test_trims_only_after_the_worker_grew_more_than_a_step():
    level = [100 * MB]
    trimmed = []

    def trim():
        trimmed.append(level[0])
        level[0] -= 3 * MB  # what the heap handed back

    trimmer = Trimmer(4 * MB, trim, rss=lambda: level[0])
    level[0] += 3 * MB
    trimmer()
    assert trimmed == []  # 3 MB: not worth a call
    level[0] += 2 * MB
    trimmer()
    assert trimmed == [105 * MB] and trimmer.floor == 102 * MB
    level[0] += 4 * MB
    trimmer()  # 4 MB above the new floor, not more
    assert trimmer.trims == 1


def test_installed_on_request_finished_and_off_with_zero():
    assert trim_after_requests(0) is None
    trimmer = trim_after_requests(4)
    try:
        assert trimmer is not None and trimmer.floor > 0
        assert any(receiver[0][0] == "cityops-malloc-trim" for receiver in request_finished.receivers)
        # A request's leftover: a reference cycle holding a large buffer, which only the collector frees.
        cycle = Cycle()
        cycle.me, cycle.buffer = cycle, bytearray(8 * MB)
        left = weakref.ref(cycle)
        del cycle
        trimmer.floor = 0  # as if the worker had grown from nothing: the end of the next request trims, for real
        gc.disable()  # only the trim may collect it
        try:
            trimmer()
        finally:
            gc.enable()
        assert trimmer.trims == 1 and 0 < trimmer.floor <= rss_bytes() + 16 * MB
        assert left() is None  # collected before the free pages were handed back
    finally:
        request_finished.disconnect(dispatch_uid="cityops-malloc-trim")
    assert not any(receiver[0][0] == "cityops-malloc-trim" for receiver in request_finished.receivers)
