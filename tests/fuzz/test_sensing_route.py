"""The production route of a detection's JSON post (huizhou_cityops.asgi → cases.api.sensing.sensing_post_handle)
fuzzed with generated bodies: any JSON, and detections with each field drawn from anything JSON can hold. Every
answer is 202, 200 or 400 with a JSON object, never an exception, and a 400 stores nothing."""

import json
import os

import hypothesis
import pytest
from hypothesis import HealthCheck
from hypothesis import strategies as st

from cases.api.sensing import sensing_post_handle
from cases.models import SensingEvent
from tests.factories.sensing import detection, sensing_source

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8")) * 10

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = ("event_id", "time", "class_code", "confidence", "lon", "lat", "attributes")


@pytest.fixture
def key(cases, personas):
    return sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"),), rate_limit=10**6)[1]


def _answer(key, body: bytes):
    stored = SensingEvent.objects.count()
    code, answer, _headers = sensing_post_handle(headers={"x-api-key": key}, body=body, kick=False)
    assert code in (200, 202, 400), (code, answer)
    assert isinstance(answer, dict)
    json.dumps(answer)
    if code == 400:
        assert SensingEvent.objects.count() == stored


def test_any_json_body_is_answered_without_a_server_error(key):
    @hypothesis.settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @hypothesis.given(JSON)
    def check(body):
        _answer(key, json.dumps(body).encode())

    check()


def test_a_detection_with_any_value_in_a_field_is_answered_without_a_server_error(cases, key):
    @hypothesis.settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @hypothesis.given(st.sampled_from(FIELDS), JSON, st.integers(min_value=0, max_value=10**9))
    def check(field, value, n):
        body = {**detection(event_id=f"fuzz-{n}", lon=cases.lon, lat=cases.lat), field: value}
        _answer(key, json.dumps(body).encode())

    check()


def test_bytes_that_are_not_json_or_utf8_are_400(key):
    for body in (b"\xff\xfe", b"{", b"[1, 2", b'{"confidence": Infinity}', b"null"):
        code, answer, _headers = sensing_post_handle(headers={"x-api-key": key}, body=body, kick=False)
        assert code == 400, (body, answer)
