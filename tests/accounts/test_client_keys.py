"""Client keys are stored hashed and shown once; revoked keys never match; rate limits count per window."""

import pytest
from django.core.cache import cache

from accounts.security.client_keys import ClientKey, key_hash
from accounts.security.ratelimit import rate_allow, rate_hits

pytestmark = pytest.mark.django_db


class _Key(ClientKey):
    class Meta:
        app_label = "accounts"
        managed = False


def test_issue_key_stores_only_the_hash():
    client = _Key(name="12345 platform")
    raw = client.issue_key()
    assert len(raw) >= 40
    assert client.key_hash == key_hash(raw) != raw
    assert client.key_prefix == raw[:8]
    again = client.issue_key()
    assert again != raw and client.key_hash == key_hash(again)


@pytest.mark.parametrize("raw", [None, "", 12, "x" * 500])
def test_find_by_key_refuses_what_is_no_key(raw):
    assert _Key.find_by_key(raw) is None


def test_rate_allow_counts_per_window():
    cache.clear()
    assert [rate_allow("t", "13800000000", limit=3, period=60, now=1000.0) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert rate_hits("t", "13800000000", period=60, now=1000.0) == 5
    # The next window starts again; another identifier has its own count.
    assert rate_allow("t", "13800000000", limit=3, period=60, now=1060.0)
    assert rate_allow("t", "13900000000", limit=3, period=60, now=1000.0)
