"""/api/v1/scores/: the frozen periods' scores per unit and indicator, read under the dashboard's scope rules."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role
from assessment.periods import span_containing
from assessment.services import assessment_freeze
from tests.assessment.scenario import october
from tests.factories.accounts import user_posted
from tests.fixtures.grid import HUICHENG, HUIYANG, QIAODONG

pytestmark = pytest.mark.django_db
URL = "/api/v1/scores/"
OCTOBER = span_containing("month", date(2026, 10, 1))
NOVEMBER_2 = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen(cases, settings):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 0
    october(cases)
    return assessment_freeze(span=OCTOBER, now=NOVEMBER_2)


def keys(response):
    assert response.status_code == 200, response.content
    return {row["key"] for row in response.json()["results"]}


def test_the_newest_frozen_month_is_published_per_department_with_its_indicators(api, assessor, frozen, cases):
    data = api(assessor).get(URL).json()
    assert data["period"] == "month:2026-10-01" and data["frozen"] is True and data["run"] == frozen.pk
    bureau = next(r for r in data["results"] if r["key"] == cases.p["handler_department"].code)
    # The scenario's figures (tests/assessment/scenario.py): 3 of 5 handled on time, 3 of 5 closed.
    assert bureau["values"]["on_time_handling_rate"] == 60.0 and bureau["values"]["close_rate"] == 60.0
    assert bureau["score"] is not None and bureau["grade"]
    one = api(assessor).get(URL, {"unit": bureau["key"], "indicator": "close_rate"}).json()["results"]
    assert one == [{**bureau, "values": {"close_rate": 60.0}}]


def test_a_district_leader_reads_its_own_regions_only(api, assessor, frozen, huizhou_grid):
    huiyang_leader = user_posted(username="p-huiyang-leader", role=Role.LEADER, region=huizhou_grid.huiyang)
    city_view = keys(api(assessor).get(URL, {"subject": "region", "level": "district"}))
    assert {HUICHENG, HUIYANG} <= city_view
    assert keys(api(huiyang_leader).get(URL, {"subject": "region", "level": "district"})) == {HUIYANG}
    streets = keys(api(huiyang_leader).get(URL, {"subject": "region", "level": "street"}))
    assert streets and all(code.startswith(HUIYANG) for code in streets)
    outside = api(huiyang_leader).get(URL, {"subject": "region", "unit": QIAODONG})
    assert outside.status_code == 404


def test_a_handler_reads_only_its_own_department(api, handler, frozen, cases):
    assert keys(api(handler).get(URL)) == {cases.p["handler_department"].code}
    assert api(handler).get(URL, {"unit": "street-441302001"}).status_code == 404


def test_roles_that_do_not_read_the_assessment_are_refused(api, dispatcher, grid_worker, frozen):
    for user in (dispatcher, grid_worker):
        assert api(user).get(URL).status_code == 403
        assert api(user).get(f"{URL}periods/").status_code == 403
    assert api().get(URL).status_code == 401


def test_a_period_not_frozen_is_not_published(api, assessor, frozen):
    assert api(assessor).get(URL, {"period": "month:2026-11-01"}).status_code == 404
    periods = api(assessor).get(f"{URL}periods/").json()
    assert [p["period"] for p in periods if p["kind"] == "month"] == ["month:2026-10-01"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"period": "month:2026-13-01"}, "period"),
        ({"period": "decade:2020-01-01"}, "period"),
        ({"period": "custom:2026-10-31:2026-10-01"}, "period"),
        ({"subject": "grid_worker"}, "subject"),
        ({"indicator": "happiness"}, "indicator"),
        ({"level": "planet"}, "level"),
    ],
)
def test_bad_input_is_a_field_error(api, assessor, frozen, query, field):
    response = api(assessor).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()
