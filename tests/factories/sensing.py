"""Sensing sources with their key and classes, and the posts they make to the ingestion endpoint."""

from decimal import Decimal

import factory
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Category, SensingKind, SensingSource, SensingThreshold
from cases.services.sensing import sensing_caches_clear


class SensingSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SensingSource
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"桥东街道 摄像头 {n:03d}")
    kind = SensingKind.CAMERA
    rate_limit = 600


def sensing_source(*, owner, classes=(("E0102", "0.8"),), rate_limit=600, **fields) -> tuple[SensingSource, str]:
    """A source owned by `owner` allowed `classes` ((display code, threshold), …); returns (source, its key)."""
    source = SensingSourceFactory.build(owner=owner, rate_limit=rate_limit, **fields)
    raw = source.issue_key()
    source.save()
    for code, threshold in classes:
        category = Category.objects.get(kind=code[0], code=code[1:])
        SensingThreshold.objects.create(source=source, category=category, threshold=Decimal(threshold))
    sensing_caches_clear()
    return source, raw


def detection(*, event_id, lon, lat, class_code="E0102", confidence=0.9, **extra) -> dict:
    """The JSON body of one detection."""
    return {
        "event_id": event_id,
        "time": timezone.now().isoformat(),
        "class_code": class_code,
        "confidence": confidence,
        "lon": lon,
        "lat": lat,
        "attributes": {"camera_channel": 2},
        **extra,
    }


def sensing_post(key, body, *, header="x-api-key", multipart=False):
    """POST a detection with the key in X-Api-Key (or `Authorization: Key …`)."""
    client = APIClient()
    headers = {"X-Api-Key": key} if header == "x-api-key" else {"Authorization": f"Key {key}"}
    return client.post("/api/v1/sensing/events/", body, format="multipart" if multipart else "json", headers=headers)


def sensing_get(key, event_id):
    """GET what became of the source's event `event_id`."""
    return APIClient().get(f"/api/v1/sensing/events/{event_id}/", headers={"X-Api-Key": key})


def sensing_posted(key, body):
    """POST a detection, let the worker's step process what is received, and answer what became of it (a dict)."""
    from cases.services.sensing_queue import sensing_process  # noqa: PLC0415

    response = sensing_post(key, body)
    assert response.status_code in (200, 202), response.content
    sensing_process()
    return sensing_get(key, body["event_id"]).json()
