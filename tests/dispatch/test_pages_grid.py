"""多网合一 in the command centre: a community's unit grids with their numbers, each network's patrol areas over the
same cells with their workers, unit grids on the command map at street zoom, and patrol areas kept in the admin."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Role
from grids.models import Level, Network, PatrolArea, Region
from grids.services.patrol_areas import patrol_area_save, patrol_area_unit_grids, unit_grid_codes_parse
from grids.services.unit_grids import unit_grids_generate
from tests.factories.accounts import user_posted
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def networks(huizhou_grid, grid_worker):
    """东湖社区 in 200 m cells; a city-management area (cells 001-030) and a public-order one (021-050)."""
    unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=200)
    community = huizhou_grid.region(QIAODONG_COMMUNITY)
    order_worker = user_posted(username="p-order", role=Role.GRID_WORKER, region=community, full_name="治安员甲")

    def cells(text):
        return patrol_area_unit_grids(community=community, codes=unit_grid_codes_parse(community=community, text=text))

    city = patrol_area_save(
        code="cm-1", name="东湖城管网格一", network=Network.CITY_MANAGEMENT, community=community,
        unit_grids=cells("001-030"), workers=[grid_worker],
    )  # fmt: skip
    order = patrol_area_save(
        code="po-1", name="东湖治安网格一", network=Network.PUBLIC_ORDER, community=community,
        unit_grids=cells("021-050"), workers=[order_worker],
    )  # fmt: skip
    return community, city, order


def test_the_grid_page_shows_the_cells_and_each_networks_areas_and_workers(networks, personas):
    community, city, order = networks
    response = client_for(personas["district_dispatcher"]).get("/command/grid/")
    assert response.status_code == 200
    html = response.content.decode()
    config = json.loads(html.split('<script id="grid-config" type="application/json">')[1].split("</script>")[0])
    cells = Region.objects.current().filter(parent=community, level=Level.UNIT).count()
    assert len(config["cells"]["features"]) == cells
    assert config["cells"]["features"][0]["properties"]["code"] == f"{QIAODONG_COMMUNITY}001"
    shared = set(config["areas"][0]["cells"]) & set(config["areas"][1]["cells"])
    assert len(shared) == 10  # 021-030: the same cells in two networks, not copies
    assert "东湖城管网格一" in html and "30 cells: 001-030" in html and "021-050" in html
    assert personas["grid_worker"].full_name in html and "治安员甲" in html
    assert "City management grid" in html and "Public order grid" in html


def test_a_community_outside_the_scope_is_absent(networks, personas):
    assert client_for(personas["outsider"]).get(f"/command/grid/?community={QIAODONG_COMMUNITY}").status_code == 404
    assert client_for(personas["outsider"]).get("/command/grid/").status_code == 200  # none of theirs: a sentence


def test_the_grid_page_costs_the_same_queries_for_more_areas(networks, personas, django_assert_max_num_queries):
    community, city, order = networks
    client = client_for(personas["dispatcher"])
    client.get("/command/grid/")
    with django_assert_max_num_queries(20) as first:
        client.get(f"/command/grid/?community={QIAODONG_COMMUNITY}")
    for n in range(5):
        patrol_area_save(
            code=f"extra-{n}", name=f"巡逻{n}", network=Network.PATROL, community=community,
            unit_grids=list(city.unit_grids.all()[:5]), workers=[personas["grid_worker"]],
        )  # fmt: skip
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(f"/command/grid/?community={QIAODONG_COMMUNITY}")


def test_unit_grids_reach_the_command_map_only_at_street_zoom(networks, personas):
    community, _city, _order = networks
    client = client_for(personas["dispatcher"])
    x0, y0, x1, y1 = community.geom.extent
    inside = community.geom.point_on_surface
    box = f"{inside.x - 0.005},{inside.y - 0.005},{inside.x + 0.005},{inside.y + 0.005}"
    near = client.get(f"/command/map/grids/?level=unit&bbox={box}")
    assert near.status_code == 200
    codes = [f["properties"]["code"] for f in near.json()["features"]]
    assert codes and all(code.startswith(QIAODONG_COMMUNITY) and len(code) == 15 for code in codes)
    far = client.get("/command/map/grids/?level=unit&bbox=113.8,22.5,115.5,23.9")
    assert far.status_code == 400 and "zoom in" in far.content.decode()
    outsider = client_for(personas["outsider"]).get(f"/command/map/grids/?level=unit&bbox={x0},{y0},{x1},{y1}")
    assert outsider.json()["features"] == []


def test_code_ranges_pick_the_communitys_cells_and_refuse_others(networks):
    community, _city, _order = networks
    assert unit_grid_codes_parse(community=community, text="003, 001 - 002，010") == [
        f"{QIAODONG_COMMUNITY}{n:03d}" for n in (1, 2, 3, 10)
    ]
    with pytest.raises(ValidationError, match="is not a unit grid number or range"):
        unit_grid_codes_parse(community=community, text="1-a")
    with pytest.raises(ValidationError, match="is not a unit grid of"):
        unit_grid_codes_parse(community=community, text="441302001003001")
    with pytest.raises(ValidationError, match="has no current unit grid"):
        patrol_area_unit_grids(community=community, codes=[f"{QIAODONG_COMMUNITY}999"])


def test_the_admin_saves_a_patrol_area_from_a_code_range(networks, admin_client, personas):
    community, city, _order = networks
    response = admin_client.post(
        "/admin/grids/patrolarea/add/",
        {
            "code": "ps-1", "name": "东湖巡防网格", "network": Network.PATROL, "community": community.pk,
            "unit_grid_numbers": "005-007, 012", "workers": [personas["grid_worker"].pk], "active": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    area = PatrolArea.objects.get(code="ps-1")
    assert sorted(c.code[-3:] for c in area.unit_grids.all()) == ["005", "006", "007", "012"]
    refused = admin_client.post(
        "/admin/grids/patrolarea/add/",
        {"code": "ps-2", "name": "x", "network": Network.PATROL, "community": community.pk, "unit_grid_numbers": "998"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200 and "has no current unit grid" in refused.content.decode()
    assert not PatrolArea.objects.filter(code="ps-2").exists()
