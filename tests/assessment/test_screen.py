"""The big screen's figures (/screen/data/): each panel in the viewer's scope only, the lights as the clock has
them, and the same number of queries whatever the number of cases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.clock import add_time, light_at
from cases.models import Case, Light, Status
from cases.services.stages import stage_limit
from cases.workflow import STAGE_OF
from tests.fixtures.grid import HUICHENG, HUIYANG, QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db
DATA = reverse("screen-data")


@pytest.fixture(autouse=True)
def no_figure_cache(settings):
    # Each read computes its figures: the tests look at the computation, not at a copy in the cache.
    settings.SCREEN_CACHE_SECONDS = 0


def figures(user, query=""):
    client = Client()
    client.force_login(user)
    response = client.get(DATA + query)
    assert response.status_code == 200, response.content
    return response.json()


def intake(data):
    return {row["source"]: row["count"] for row in data["intake"]}


@pytest.fixture
def two_districts(cases, huizhou_grid):
    """Two 惠城区 cases (one reported three days ago, its acceptance long overdue) and one 惠阳区 case from today.

    Three days back, or further when they hold less than twice its acceptance limit of working time (a long
    holiday): the case is overdue on its clock whenever the test runs."""
    now = timezone.now()
    model = Case(category=cases.category, region=cases.community, urgency="normal")
    budget, clock = stage_limit(model, STAGE_OF[Status.REPORTED], now)
    reported = min(now - timedelta(days=3), add_time(start=now, duration=-2 * budget, clock=clock))
    old = cases.report(now=reported, description="三天前上报的暴露垃圾")
    fresh = cases.report()
    point = huizhou_grid.point_in(huizhou_grid.huiyang_community.code)
    huiyang = cases.report(actor=cases.p["operator"], source="hotline_12345", lon=point.x, lat=point.y, address="")
    return {"old": old, "fresh": fresh, "huiyang": huiyang}


def test_a_district_dispatcher_sees_only_their_districts_numbers(personas, two_districts):
    data = figures(personas["district_dispatcher"])
    assert data["scope"]["code"] == HUICHENG
    assert data["lights"]["total"] == 2
    assert intake(data)["grid_worker"] == 1  # the fresh one; the old one came in three days ago
    assert intake(data)["hotline_12345"] == 0  # 惠阳区's call is not theirs
    assert set(data["communities"]) == {QIAODONG_COMMUNITY}
    assert [row["number"] for row in data["overdue"]] == [two_districts["old"].number]
    numbers = {e["case"]["number"] for e in data["events"]}
    assert numbers == {two_districts["old"].number, two_districts["fresh"].number}
    assert sum(data["trend"]["received"]) == 2


def test_the_city_sees_both_districts_and_the_outsider_only_theirs(personas, two_districts):
    city = figures(personas["dispatcher"])
    assert city["lights"]["total"] == 3
    assert intake(city) == {**intake(city), "grid_worker": 1, "hotline_12345": 1}
    outsider = figures(personas["outsider"])
    assert outsider["scope"]["code"] == HUIYANG
    assert outsider["lights"]["total"] == 1
    assert intake(outsider)["hotline_12345"] == 1
    assert {e["case"]["number"] for e in outsider["events"]} == {two_districts["huiyang"].number}


def test_a_city_viewer_may_narrow_to_a_district_and_nobody_beyond_their_own(personas, two_districts):
    narrowed = figures(personas["dispatcher"], f"?region={HUIYANG}")
    assert narrowed["lights"]["total"] == 1
    client = Client()
    client.force_login(personas["district_dispatcher"])
    assert client.get(DATA + f"?region={HUIYANG}").status_code == 404
    assert client.get(reverse("screen-grid") + f"?region={HUIYANG}").status_code == 404
    assert client.get(DATA + "?region=nowhere").status_code == 404


def test_the_lights_are_the_clocks_lights(personas, two_districts):
    data = figures(personas["dispatcher"])
    now = timezone.now()
    expected = {light.value: 0 for light in Light} | {"none": 0}
    for case in Case.objects.open():
        expected[light_at(case, now) or "none"] += 1
    assert {k: data["lights"][k] for k in expected} == expected
    assert data["lights"]["red"] == 1


def test_the_ranking_is_the_assessments_on_time_handling(personas, cases):
    cases.to("to_check")  # dispatched to the city bureau and handled within its limit
    data = figures(personas["dispatcher"])
    department = personas["handler_department"]
    row = next(r for r in data["ranking"] if r["code"] == department.code)
    assert row["rate"] == 100.0
    assert row["cases"] == 1  # the cases the rate rests on


def test_the_community_polygons_of_the_district(personas, huizhou_grid):
    client = Client()
    client.force_login(personas["district_dispatcher"])
    response = client.get(reverse("screen-grid"))
    assert response.status_code == 200
    codes = {f["properties"]["code"] for f in response.json()["features"]}
    assert QIAODONG_COMMUNITY in codes
    assert codes and all(code.startswith(HUICHENG) for code in codes)


def _queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DATA).status_code == 200
    return len(captured)


def test_the_figures_take_the_same_queries_for_3_and_for_30_cases(personas, cases):
    client = Client()
    client.force_login(personas["dispatcher"])
    now = timezone.now()

    def report(n):
        for i in range(n):
            cases.report(now=now - timedelta(days=i % 5, hours=i % 7), description=f"暴露垃圾 {i}")

    report(3)
    client.get(DATA)  # the session, the schemes and the calendar are read once
    few = _queries(client)
    report(27)
    many = _queries(client)
    assert many == few


def test_the_figures_are_shared_from_the_cache_for_a_scope(settings, personas, two_districts):
    settings.SCREEN_CACHE_SECONDS = 30
    client = Client()
    client.force_login(personas["district_dispatcher"])
    first = client.get(DATA).json()
    cases_before = first["lights"]["total"]
    with CaptureQueriesContext(connection) as captured:
        again = client.get(DATA).json()
    assert again == first
    assert not [q for q in captured if "cases_case" in q["sql"]]
    assert cases_before == 2
