"""The client's address, read through the configured chain of trusted proxies (settings.TRUSTED_PROXIES)."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """REMOTE_ADDR; if that is a trusted proxy, the nearest X-Forwarded-For hop that is not one."""
    remote = request.META.get("REMOTE_ADDR")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    current = _address(remote or "")
    if current is None or not any(current in n for n in networks):
        # Not through a proxy we trust: X-Forwarded-For is whatever the client chose to send, so it is ignored.
        return remote
    # Each trusted proxy appends the address it received from; read from the right, the first address that is
    # not ours is the client. Anything left of it was written by the client and proves nothing.
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # A hop our own proxy would never write: stop at the last address a trusted proxy vouched for.
            break
        current = address
        if not any(address in n for n in networks):
            break
    return str(current)
