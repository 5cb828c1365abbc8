"""Sensing sources as the ingestion sees them: a key's source and its classes, cached briefly per process; its rate
limit (the administrators told once a minute of a flood); the merging rule of a class; the platform's own account."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from accounts.security.client_keys import key_hash
from accounts.security.ratelimit import rate_allow
from cases.models.sensing import SensingMergeRule, SensingSource, SensingThreshold
from cases.signals import sensing_source_flooded

SENSING_ACCOUNT = "sensing"
RATE_PERIOD = 60
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class SourceInfo:
    """What the hot path needs of a source, cached per process for SENSING_KEY_CACHE_SECONDS."""

    id: int
    name: str
    rate_limit: int
    # "E0102" -> (category id, threshold)
    classes: dict


@dataclass(frozen=True)
class Rule:
    distance_m: int
    window: timedelta


_sources: dict = {}  # key hash -> (expires at, SourceInfo)
_rules: dict = {}  # category id -> (expires at, Rule)
_timeline: dict = {}  # case id -> when this process last wrote (or found written) a timeline entry of repeats


def sensing_caches_clear() -> None:
    """Forget every cached source and rule in this process (a key revoked, a threshold changed)."""
    _sources.clear()
    _rules.clear()
    _timeline.clear()
    _city_box.clear()


def sensing_source_for_key(raw) -> SourceInfo | None:
    """The live source holding this key, or None; cached briefly, so a revocation reaches other processes within
    SENSING_KEY_CACHE_SECONDS (at once in the process that revoked it)."""
    if not raw or not isinstance(raw, str) or len(raw) > 200:
        return None
    digest, now = key_hash(raw), time.monotonic()
    cached = _sources.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    source = SensingSource.find_by_key(raw)
    info = None
    if source is not None:
        rows = SensingThreshold.objects.filter(source=source, category__active=True).values_list(
            "category_id", "category__kind", "category__code", "threshold"
        )
        classes = {f"{kind}{code}": (category_id, threshold) for category_id, kind, code, threshold in rows}
        info = SourceInfo(id=source.pk, name=source.name, rate_limit=source.rate_limit, classes=classes)
    if len(_sources) > 10_000:
        _sources.clear()
    # A miss is cached as well (briefly): a flood of wrong keys costs no query each.
    _sources[digest] = (now + settings.SENSING_KEY_CACHE_SECONDS, info)
    return info


MISSING = object()
# A point this far (degrees, about 5.5 km: above the largest merging distance) outside the city's bounding box
# cannot be a problem of the city nor join one of its cases.
CITY_BOX_MARGIN = 0.05
_city_box: list = []  # [(expires at, (xmin, ymin, xmax, ymax) or None)]


def sensing_city_box():
    """The city's bounding box with a margin (cached per process for ten minutes); None without a city grid."""
    from grids.models import Level, Region  # noqa: PLC0415

    now = time.monotonic()
    if _city_box and _city_box[0][0] > now:
        return _city_box[0][1]
    city = Region.objects.filter(level=Level.CITY, valid_to__isnull=True).only("geom").first()
    box = None
    if city is not None and city.geom is not None:
        xmin, ymin, xmax, ymax = city.geom.extent
        m = CITY_BOX_MARGIN
        box = (xmin - m, ymin - m, xmax + m, ymax + m)
    _city_box[:] = [(now + 600, box)]
    return box


def sensing_source_cached(raw):
    """What `sensing_source_for_key` knows of this key without the database (a SourceInfo, None for a known bad
    key), or MISSING: lets the server answer the many posts of a known source without handing them to a database
    thread first."""
    if not raw or not isinstance(raw, str) or len(raw) > 200:
        return None
    cached = _sources.get(key_hash(raw))
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    return MISSING


def sensing_source_revoke(*, source: SensingSource) -> None:
    """Revoke the source's key; this process forgets it at once, the others within SENSING_KEY_CACHE_SECONDS."""
    source.revoke()
    sensing_caches_clear()


def sensing_rate_allow(*, source: SourceInfo) -> bool:
    """Count one post of the source; False above its limit per minute, and the administrators are told (once per
    minute: the first refused post of the window announces it, `sensing_source_flooded`)."""
    now = time.time()
    if rate_allow("sensing", str(source.id), limit=source.rate_limit, period=RATE_PERIOD, now=now):
        return True
    window = int(now // RATE_PERIOD)
    if cache.add(f"sensing:flood-told:{source.id}:{window}", 1, timeout=RATE_PERIOD + 1):
        sensing_source_flooded.send(
            sender=SensingSource, source_id=source.id, window=window, limit=source.rate_limit, period=RATE_PERIOD
        )
    return False


def sensing_rule(category_id: int) -> Rule:
    """The merging distance and window of a class (its SensingMergeRule, else the settings' defaults)."""
    now = time.monotonic()
    cached = _rules.get(category_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = SensingMergeRule.objects.filter(category_id=category_id).values_list("distance_m", "window_hours").first()
    distance, hours = row or (settings.SENSING_MERGE_METRES, settings.SENSING_MERGE_HOURS)
    rule = Rule(distance_m=distance, window=timedelta(hours=hours))
    _rules[category_id] = (now + settings.SENSING_KEY_CACHE_SECONDS, rule)
    return rule


def sensing_account():
    """The platform's own account that enters sensor detections (inactive, no password: it cannot sign in)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=SENSING_ACCOUNT).first()
    if user is None:
        user, _created = user_model.objects.get_or_create(
            username=SENSING_ACCOUNT, defaults={"full_name": "感知接入 Sensing intake", "is_active": False}
        )
        if _created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user
