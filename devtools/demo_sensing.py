"""The demo's sensing intake in 桥东街道: a camera on 东湖路, a water-level sensor and the district's detection
platform, with detections that made cases, repeats that joined them (one with its snapshot), and two waiting in the
supervision centre's 待核实 queue.

Posted through the intake service (as the endpoint does), with fixed source event ids: a second run stores nothing
new. Each run gives the camera a new key and prints it, so `curl` can post to the demo at once (README).
"""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Category, SensingEvent, SensingKind, SensingOutcome, SensingSource, SensingThreshold
from cases.services.sensing import Detection, sensing_caches_clear, sensing_ingest, sensing_source_for_key
from grids.models import Department, Region

# (name, kind, owner code, community code or "", {class: threshold})
SOURCES = [
    ("桥东街道 东湖路口摄像头 QD-CAM-017", SensingKind.CAMERA, "street-441302001", "441302001001",
     {"E0102": "0.80", "E0505": "0.85", "E0507": "0.80"}),
    ("惠城区 城管视频智能识别平台", SensingKind.PLATFORM, "huicheng-urban-management", "",
     {"E0102": "0.85", "E0505": "0.80", "E0507": "0.80", "E0103": "0.80"}),
    ("桥东街道 道路积水监测仪 QD-WL-003", SensingKind.SENSOR, "street-441302001", "441302001001", {"E0406": "0.70"}),
]  # fmt: skip

# (source index, event id, class, confidence, community code, metres east, metres north, minutes ago, snapshot)
EVENTS = [
    (0, "qd-cam-017-20001", "E0102", "0.93", "441302001001", 0, 0, 95, True),
    (0, "qd-cam-017-20002", "E0102", "0.88", "441302001001", 6, 3, 80, False),
    (1, "hc-ai-88120", "E0102", "0.90", "441302001001", -8, 5, 60, True),
    (0, "qd-cam-017-20007", "E0102", "0.91", "441302001001", 4, -2, 20, False),
    (1, "hc-ai-88141", "E0505", "0.86", "441302001003", 0, 0, 70, False),
    (1, "hc-ai-88163", "E0505", "0.83", "441302001003", 10, 0, 35, True),
    (1, "hc-ai-88170", "E0507", "0.61", "441302001005", 0, 0, 25, True),
    (1, "hc-ai-88171", "E0507", "0.58", "441302001005", 5, 5, 15, False),
    (2, "qd-wl-003-5521", "E0406", "0.64", "441302001001", 300, 200, 12, False),
]
METRES_PER_DEGREE = 111_320.0


def _snapshot(name, colour):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _sources():
    made = []
    for name, kind, owner_code, community, classes in SOURCES:
        owner = Department.objects.get(code=owner_code)
        region = Region.objects.defer("geom").get(code=community) if community else owner.home_region
        source = SensingSource.objects.filter(name=name).first() or SensingSource(name=name, kind=kind, owner=owner)
        source.region = region
        key = source.issue_key()
        source.revoked_at = None
        source.save()
        for code, threshold in classes.items():
            category = Category.objects.get(kind=code[0], code=code[1:])
            SensingThreshold.objects.update_or_create(
                source=source, category=category, defaults={"threshold": Decimal(threshold)}
            )
        made.append((source, key))
    sensing_caches_clear()
    return made


def seed_sensing(*, now) -> str:
    """The demo's sources and detections (idempotent); a one-line summary with the camera's new key."""
    sources = _sources()
    centres = {}
    for index, (source_index, event_id, code, confidence, community, east, north, minutes, snap) in enumerate(EVENTS):
        if community not in centres:
            centres[community] = Region.objects.get(code=community).geom.point_on_surface
        centre = centres[community]
        lat = centre.y + north / METRES_PER_DEGREE
        lon = centre.x + east / (METRES_PER_DEGREE * 0.92)  # cos(23.1°)
        sensing_ingest(
            source=sensing_source_for_key(sources[source_index][1]),
            detection=Detection(
                external_id=event_id,
                occurred_at=now - timedelta(minutes=minutes),
                class_code=code,
                confidence=Decimal(confidence),
                lon=lon,
                lat=lat,
                attributes={"channel": source_index + 1, "track": 4000 + index},
                snapshot=_snapshot(f"{event_id}.jpg", (120 + index * 10, 110, 90)) if snap else None,
            ),
            now=now - timedelta(minutes=minutes),
        )
    names = [s.name for s, _key in sources]
    events = SensingEvent.objects.filter(source__name__in=names)
    waiting = events.filter(outcome=SensingOutcome.PENDING).count()
    made = events.filter(outcome=SensingOutcome.CREATED).count()
    merged = events.filter(outcome=SensingOutcome.MERGED).count()
    return (
        f"sensing: {len(sources)} sources, {events.count()} detections ({made} cases, {merged} joined, {waiting} "
        f"waiting in 待核实); key of the 东湖路 camera: {sources[0][1]}"
    )
