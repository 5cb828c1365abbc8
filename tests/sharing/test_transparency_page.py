"""/public/transparency/: open to anyone, coarse places only, nothing personal, the assessment's own figures."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone

from assessment.periods import span_containing
from assessment.selectors import period_results
from assessment.selectors.transparency import CELL_DEGREES, transparency_cells
from cases.models import Category, Source
from tests.fixtures.grid import HUICHENG

pytestmark = pytest.mark.django_db
URL = "/public/transparency/"
DATA = "/public/transparency/data/"
SECRET = {
    "description": "紫荆花下的秘密描述XK7",
    "contact_name": "欧阳秘名",
    "contact_phone": "13987654321",
    "address": "惠城区隐秘路77号",
}


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 0
    cache.clear()


@pytest.fixture
def reported(cases, personas):
    """A public report the centre accepted, with a distinctive description, caller, phone and address."""
    case = cases.report(actor=personas["operator"], source=Source.HOTLINE_12345, **SECRET)
    return cases.act(case, "operator", "accept")


def anonymous():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_anyone_may_open_the_page_and_its_data(reported):
    page = anonymous().get(URL)
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert b"<script>" not in page.content and b"<script>\n" not in page.content
    data = anonymous().get(DATA).json()
    assert [c["count"] for c in data["cells"]] == [1]


def test_no_personal_data_appears_in_the_page_or_its_json(reported, personas):
    body = anonymous().get(URL).content.decode() + anonymous().get(DATA).content.decode()
    for text in [*SECRET.values(), reported.number, personas["operator"].username, str(personas["operator"])]:
        assert text not in body, text
    # The place is the cell's centre, never the point itself.
    (cell,) = json.loads(anonymous().get(DATA).content)["cells"]
    assert (cell["lon"], cell["lat"]) != (reported.point.x, reported.point.y)
    assert abs(cell["lon"] - reported.point.x) <= CELL_DEGREES / 2 + 1e-9
    assert abs(cell["lat"] - reported.point.y) <= CELL_DEGREES / 2 + 1e-9
    assert round(cell["lon"] / CELL_DEGREES) * CELL_DEGREES == pytest.approx(cell["lon"])


def test_only_accepted_reports_of_public_classes_in_the_last_30_days_count(cases, personas, reported):
    begging = Category.objects.get(kind="E", code="0502")
    hidden = cases.report(actor=personas["operator"], source=Source.HOTLINE_12345, category=begging)
    cases.act(hidden, "operator", "accept")
    cases.report(actor=personas["operator"], source=Source.HOTLINE_12345)  # not accepted yet
    old = cases.report(actor=personas["operator"], source=Source.HOTLINE_12345, now=timezone.now() - timedelta(days=40))
    cases.act(old, "operator", "accept")
    assert sum(c["count"] for c in transparency_cells()) == 1


def test_the_district_table_is_the_assessments_figures(reported):
    span = span_containing("month", timezone.localdate())
    row = period_results(span=span, subjects=["region"]).one("region", HUICHENG)
    data = anonymous().get(DATA).json()
    huicheng = next(d for d in data["districts"] if d["code"] == HUICHENG)
    assert huicheng == {
        "code": HUICHENG,
        "name": row.name,
        "received": row.counts["accepted"],
        "closed": row.counts["closed"],
        "on_time_rate": row.values["on_time_close_rate"],
    }
    assert huicheng["received"] == 1
    assert len(data["districts"]) == 5
    page = anonymous().get(URL).content.decode()
    assert f'data-code="{HUICHENG}"' in page and "No public listings at the moment." in page


def test_the_figures_are_kept_briefly_per_month(cases, personas, reported, settings):
    settings.TRANSPARENCY_CACHE_SECONDS = 300
    assert sum(c["count"] for c in anonymous().get(DATA).json()["cells"]) == 1
    another = cases.report(actor=personas["operator"], source=Source.HOTLINE_12345)
    cases.act(another, "operator", "accept")
    assert sum(c["count"] for c in anonymous().get(DATA).json()["cells"]) == 1
    cache.clear()
    assert sum(c["count"] for c in anonymous().get(DATA).json()["cells"]) == 2


def test_a_month_outside_the_last_twelve_is_a_message_not_an_error(reported):
    page = anonymous().get(URL, {"month": "1999-01"})
    assert page.status_code == 200 and "Pick one of the last twelve months" in page.content.decode()
    assert anonymous().get(DATA, {"month": "2026-13"}).status_code == 400
    last = span_containing("month", timezone.localdate()).previous().first.strftime("%Y-%m")
    assert anonymous().get(DATA, {"month": last}).json()["month"].endswith(f"{last}-01")


def test_the_page_speaks_chinese_by_default(reported):
    page = Client().get(URL).content.decode()
    assert "惠州市城市管理 · 公开" in page


def test_the_data_is_kept_as_the_json_it_is_sent_as(reported, settings, monkeypatch):
    # A request that finds the month in the cache sends the JSON kept there: it neither counts the cells again nor
    # decodes them into Python objects (tens of thousands of dicts at city scale).
    from assessment.selectors import transparency

    settings.TRANSPARENCY_CACHE_SECONDS = 300
    first = anonymous().get(DATA)
    span = span_containing("month", timezone.localdate())
    assert first["Content-Type"] == "application/json"
    # Written without the cells' dicts, byte for byte what encoding the page's figures gives.
    figures = transparency.transparency_data(span=span)
    assert first.content == json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    assert [c["count"] for c in first.json()["cells"]] == [1]

    def not_again(**kwargs):
        raise AssertionError("the cells were read again")

    monkeypatch.setattr(transparency, "_cell_stream", not_again)
    assert anonymous().get(DATA).content == first.content


def test_cells_in_several_places_are_sent_south_to_north_then_west_to_east(cases, personas, settings):
    # The cells are streamed in the database's order of their snapped centres: the same order and the same bytes
    # as encoding the page's figures, whose cells are sorted by their rounded (lat, lon).
    settings.TRANSPARENCY_CACHE_SECONDS = 0
    offsets = [(0.0021, 0.0), (-0.0021, 0.0021), (0.0, -0.0021), (0.0021, 0.0021), (0.0, 0.0)]
    for dlon, dlat in offsets:
        case = cases.report(actor=personas["operator"], source=Source.HOTLINE_12345, lon=cases.lon + dlon,
                            lat=cases.lat + dlat)  # fmt: skip
        cases.act(case, "operator", "accept")
    body = anonymous().get(DATA).content
    cells = json.loads(body)["cells"]
    assert len(cells) >= 4
    assert [(c["lat"], c["lon"]) for c in cells] == sorted((c["lat"], c["lon"]) for c in cells)
    span = span_containing("month", timezone.localdate())
    from assessment.selectors import transparency

    figures = transparency.transparency_data(span=span)
    assert body == json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


@pytest.mark.parametrize("cache_seconds", [0, 300])
def test_a_client_accepting_gzip_is_sent_the_json_gzipped_as_the_cache_keeps_it(reported, settings, cache_seconds):
    import gzip

    settings.TRANSPARENCY_CACHE_SECONDS = cache_seconds
    plain = anonymous().get(DATA)
    body = plain.content
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"] and json.loads(body)["cells"]
    for _ in range(2):  # built, then (with the cache on) as kept
        packed = anonymous().get(DATA, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
        assert packed["Content-Type"] == "application/json" and gzip.decompress(packed.content) == body
    span = span_containing("month", timezone.localdate())
    kept = cache.get(f"transparency:json.gz:{span.key}")
    if cache_seconds:
        size, stored = kept
        assert size == len(body) and len(stored) < size / 3 and stored == packed.content
        assert anonymous().get(DATA).content == body  # inflated from what the cache keeps
    else:
        assert kept is None


def test_the_page_and_its_map_come_from_one_reading_kept_together(reported, settings, monkeypatch):
    # The data URL's JSON and the page's figures are written to the cache by one reading: the page then shows the
    # number of squares the map draws without reading (or unpickling) the cells again.
    from assessment.selectors import transparency

    settings.TRANSPARENCY_CACHE_SECONDS = 300
    body = anonymous().get(DATA).json()

    def not_again(**kwargs):
        raise AssertionError("the cells were read again")

    monkeypatch.setattr(transparency, "_cell_stream", not_again)
    span = span_containing("month", timezone.localdate())
    page = transparency.transparency_page(span=span)
    assert "cells" not in page and page["cell_count"] == len(body["cells"]) == 1
    assert page["districts"] == body["districts"]
    html = anonymous().get(URL).content.decode()
    assert "1 square of about 200 m with reports." in html
