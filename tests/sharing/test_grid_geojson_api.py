"""/api/v1/regions/geojson/: the grid as GeoJSON by level and box, in the caller's scope, capped and gzip-able."""

import gzip
import json

import pytest
from django.contrib.gis.geos import GEOSGeometry

from grids import selectors
from grids.models import Region
from tests.fixtures.grid import HUICHENG, QIAODONG

pytestmark = pytest.mark.django_db
URL = "/api/v1/regions/geojson/"


def collection(response):
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    return data


def test_districts_for_a_city_user_are_all_five_simplified(api, dispatcher):
    data = collection(api(dispatcher).get(URL, {"level": "district"}))
    assert len(data["features"]) == 5 and data["truncated"] is False
    huicheng = next(f for f in data["features"] if f["properties"]["code"] == HUICHENG)
    assert huicheng["properties"]["parent_code"] == "4413"
    shape = GEOSGeometry(json.dumps(huicheng["geometry"]))
    stored = Region.objects.get(code=HUICHENG).geom
    assert shape.num_coords < stored.num_coords
    # Simplified, not moved: the outline still covers almost the same ground.
    assert abs(shape.area - stored.area) / stored.area < 0.02


def test_a_district_user_gets_only_its_own_districts_communities(api, district_dispatcher, outsider):
    mine = collection(api(district_dispatcher).get(URL, {"level": "community"}))["features"]
    assert mine and all(f["properties"]["code"].startswith(HUICHENG) for f in mine)
    theirs = collection(api(outsider).get(URL, {"level": "community"}))["features"]
    assert not any(f["properties"]["code"].startswith(HUICHENG) for f in theirs)


def test_a_box_narrows_the_level(api, dispatcher):
    street = Region.objects.get(code=QIAODONG)
    box = ",".join(f"{v:.5f}" for v in street.geom.extent)
    features = collection(api(dispatcher).get(URL, {"level": "community", "bbox": box}))["features"]
    codes = {f["properties"]["code"] for f in features}
    assert {c for c in codes if c.startswith(QIAODONG)} == set(
        Region.objects.filter(parent__code=QIAODONG).values_list("code", flat=True)
    )
    assert len(codes) < 200


def test_the_answer_is_capped_and_says_so(dispatcher, huizhou_grid):
    text, count, cut = selectors.region_features_for_user(user=dispatcher, level="community", limit=10)
    assert count == 10 and cut is True
    assert json.loads(text)["truncated"] is True


def test_the_answer_is_gzipped_for_clients_that_accept_it(api, dispatcher):
    response = api(dispatcher).get(URL, {"level": "district"}, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    plain = gzip.decompress(response.content)
    assert len(response.content) < len(plain) / 2
    assert json.loads(plain)["type"] == "FeatureCollection"


@pytest.mark.parametrize(
    "query", [{"level": "planet"}, {"bbox": "1,2,3"}, {"bbox": "115,23,114,24"}, {"bbox": "nan,1,2,3"}]
)
def test_bad_input_is_a_field_error(api, dispatcher, query):
    response = api(dispatcher).get(URL, query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_anonymous_callers_are_refused(api, huizhou_grid):
    assert api().get(URL).status_code == 401
