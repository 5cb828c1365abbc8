"""huizhou_cityops.singleflight: requests of one worker that miss the same cache key compute it once, one at a time."""

import threading

import pytest

from huizhou_cityops import singleflight
from huizhou_cityops.singleflight import cached_once, single_flight

WAIT = 10  # seconds a test waits for a thread before it fails (never reached when the code is right)


def _until(condition):
    """Wait until `condition()` holds (other threads reached their lock); fail rather than hang."""
    event = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return
        event.wait(0.01)
    pytest.fail("the threads never reached the expected state")


def _waiting(key):
    with singleflight._guard:
        entry = singleflight._locks.get(key)
        return entry[1] if entry else 0


def test_threads_that_miss_together_compute_once_and_read_what_the_first_stored():
    store, computed = {}, []
    entered, release = threading.Event(), threading.Event()

    def compute():
        computed.append(threading.get_ident())
        entered.set()
        assert release.wait(WAIT)
        store["k"] = b"figures"
        return store["k"]

    results = []

    def request():
        results.append(cached_once("k", lambda: store.get("k"), compute))

    threads = [threading.Thread(target=request) for _ in range(5)]
    threads[0].start()
    assert entered.wait(WAIT)
    for thread in threads[1:]:
        thread.start()
    _until(lambda: _waiting("k") == 5)  # the first computes, four wait on its lock
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(computed) == 1
    assert results == [b"figures"] * 5
    assert singleflight._locks == {}  # nothing left behind once nobody waits


def test_without_a_cache_each_computes_but_one_after_another():
    inside, most, computed = [0], [0], []
    lock = threading.Lock()
    entered, release = threading.Event(), threading.Event()

    def compute():
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        computed.append(1)
        entered.set()
        assert release.wait(WAIT)  # the first holds the key until every other thread waits for it
        with lock:
            inside[0] -= 1
        return "value"

    def request():
        assert cached_once("down", lambda: None, compute) == "value"

    threads = [threading.Thread(target=request) for _ in range(4)]
    threads[0].start()
    assert entered.wait(WAIT)
    for thread in threads[1:]:
        thread.start()
    _until(lambda: _waiting("down") == 4)
    assert len(computed) == 1
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(computed) == 4 and most[0] == 1


def test_other_keys_do_not_wait_and_a_failure_frees_the_key():
    entered, release = threading.Event(), threading.Event()

    def hold():
        with single_flight("a"):
            entered.set()
            assert release.wait(WAIT)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(WAIT)
    # Key "b" is computed at once while "a" is held by another thread.
    assert cached_once("b", lambda: None, lambda: "b") == "b"
    release.set()
    holder.join(WAIT)

    def fails():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cached_once("a", lambda: None, fails)
    assert singleflight._locks == {}
    assert cached_once("a", lambda: None, lambda: "again") == "again"


def test_a_value_found_in_the_cache_takes_no_lock(monkeypatch):
    def no_lock(key):
        raise AssertionError("a hit must not take the lock")

    monkeypatch.setattr(singleflight, "single_flight", no_lock)
    assert cached_once("hit", lambda: "kept", lambda: "computed") == "kept"
