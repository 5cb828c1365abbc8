"""The dashboard, unit pages, case lists, exports, bulletin and map for readers; a handler sees only their own."""

import io
import random
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from assessment.periods import span_containing

from .histories import histories_write

pytestmark = pytest.mark.django_db
FEBRUARY = span_containing("month", date(2026, 2, 1))
P = f"?period={FEBRUARY.key}"


@pytest.fixture
def histories(world):
    rnd = random.Random(7)
    return histories_write(lambda n: rnd.randrange(n) if n > 1 else 0, world, 40)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def reader_urls():
    figure = "&unit=department&key=city-urban-management&indicator=close_rate"
    return [
        reverse("assessment:dashboard") + P,
        reverse("assessment:dashboard") + P + "&scheme=department-daily-100",
        reverse("assessment:dashboard") + "?kind=custom&first=2026-02-03&last=2026-02-20",
        reverse("assessment:department", args=["city-urban-management"]) + P,
        reverse("assessment:region", args=["4413"]) + P,
        reverse("assessment:region", args=["441302"]) + P,
        reverse("assessment:region", args=["441302001"]) + P,
        reverse("assessment:region", args=["441302001001"]) + P,
        reverse("assessment:posts", args=["grid_worker"]) + P,
        reverse("assessment:posts", args=["dispatcher"]) + P,
        reverse("assessment:cases") + P + figure,
        reverse("assessment:cases") + P + "&unit=region&key=441302&indicator=due&count=overdue_open",
        reverse("assessment:cases") + P + "&unit=post&key=h-dispatcher-0&role=dispatcher&indicator=dispatched",
        reverse("assessment:bulletin") + P,
        reverse("assessment:map") + P,
        reverse("assessment:map-data") + P,
        reverse("assessment:map-data") + P + "&region=441302",
    ]


@pytest.mark.parametrize("persona", ["assessor", "leader"])
def test_readers_open_every_page(request, persona, histories):
    client = client_for(request.getfixturevalue(persona))
    for url in reader_urls():
        response = client.get(url)
        assert response.status_code == 200, url


def test_the_dashboard_ranks_departments_districts_and_streets_with_grades(assessor, histories):
    response = client_for(assessor).get(reverse("assessment:dashboard") + P)
    context = response.context
    assert {item["row"].level for item in context["districts"]} == {"district"}
    assert len(context["districts"]) == 5 and len(context["streets"]) == 84
    scored = [item["row"] for item in context["departments"] if item["row"].score is not None]
    assert scored and all(row.grade in "ABCDE" for row in scored)
    assert [row.rank for row in scored] == sorted(row.rank for row in scored)
    # Every figure links to the cases behind it.
    first = context["departments"][0]["cells"][0]
    assert first["url"].startswith(reverse("assessment:cases"))
    assert client_for(assessor).get(first["url"]).status_code == 200


def test_the_case_list_shows_the_cases_a_figure_counted(assessor, histories):
    from assessment.indicators.sql import unit_counts

    departments, _leaves = unit_counts(start=FEBRUARY.start, end=FEBRUARY.end, bound=FEBRUARY.end)
    department = histories[0].lead_department or next(c.lead_department for c in histories if c.lead_department)
    counted = departments.get(department.pk, {}).get("dispatched", 0)
    url = reverse("assessment:cases") + P + f"&unit=department&key={department.code}&indicator=dispatched"
    shown = client_for(assessor).get(url).context["cases"]
    # A case dispatched twice to the department in the month counts twice but is listed once.
    assert 0 < len(shown) <= counted or counted == 0


def test_exports_carry_every_unit(assessor, histories):
    client = client_for(assessor)
    csv = client.get(reverse("assessment:export", args=["csv"]) + P)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "city-urban-management" in text and "441302001001" in text
    xlsx = client.get(reverse("assessment:export", args=["xlsx"]) + P)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) >= 2
    assert book.worksheets[1].max_row == 1 + 1454  # header + city, districts, streets, communities


def test_the_bulletin_prints_totals_rankings_and_top_categories(leader, histories):
    response = client_for(leader).get(reverse("assessment:bulletin") + P)
    assert response.status_code == 200
    context = response.context
    assert context["span"] == FEBRUARY
    assert [c["name"] for c in context["totals"]][:2] == ["accepted", "filed"]
    assert len(context["regions"]) == 5
    assert b"assessment/assessment.css" in response.content  # its print layout hides the navigation


def test_the_map_data_are_grids_with_counts_and_work_without_tiles(assessor, histories, settings):
    settings.LEAFLET_TILE_URL = ""
    data = client_for(assessor).get(reverse("assessment:map-data") + P).json()
    grids = [f for f in data["features"] if f["geometry"]["type"] != "Point"]
    assert len(grids) == 5 and all("count" in f["properties"] for f in grids)
    page = client_for(assessor).get(reverse("assessment:map") + P)
    assert b'data-tiles=""' in page.content


def test_a_handler_sees_only_their_own_department(handler, histories):
    client = client_for(handler)
    own = reverse("assessment:department", args=["city-urban-management"]) + P
    assert client.get(own).status_code == 200
    own_cases = reverse("assessment:cases") + P + "&unit=department&key=city-urban-management&indicator=handling_rate"
    assert client.get(own_cases).status_code == 200
    other = reverse("assessment:department", args=["street-441302001"]) + P
    assert client.get(other).status_code == 404
    other_cases = reverse("assessment:cases") + P + "&unit=department&key=street-441302001&indicator=handling_rate"
    assert client.get(other_cases).status_code == 404
    refused = [
        reverse("assessment:dashboard"),
        reverse("assessment:region", args=["441302"]),
        reverse("assessment:posts", args=["dispatcher"]),
        reverse("assessment:export", args=["csv"]),
        reverse("assessment:export", args=["xlsx"]),
        reverse("assessment:bulletin"),
        reverse("assessment:map"),
        reverse("assessment:map-data"),
        reverse("assessment:cases") + P + "&unit=region&key=441302&indicator=filed",
    ]
    for url in refused:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("persona", ["outsider", "grid_worker"])
def test_other_roles_are_refused_the_dashboard(request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("assessment:dashboard")).status_code == 403
    assert client.get(reverse("assessment:department", args=["city-urban-management"])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(reverse("assessment:dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_district_leader_reads_only_their_district(huizhou_grid, histories):
    from accounts.models import Role
    from tests.factories.accounts import user_posted

    leader = user_posted(username="district-leader", role=Role.LEADER, region=huizhou_grid.huicheng)
    client = client_for(leader)
    context = client.get(reverse("assessment:dashboard") + P).context
    assert context["root"].code == "441302"
    assert {item["row"].parent_code for item in context["streets"]} == {"441302"}
    assert client.get(reverse("assessment:region", args=["441303"]) + P).status_code == 404


def test_the_demo_auditor_and_leader_read_the_dashboard_exports_and_bulletin(histories):
    from accounts import demo
    from accounts.models import User

    demo.seed()
    for username in ("auditor", "leader"):
        client = client_for(User.objects.get(username=username))
        for url in (
            reverse("assessment:dashboard") + P,
            reverse("assessment:export", args=["csv"]) + P,
            reverse("assessment:export", args=["xlsx"]) + P,
            reverse("assessment:bulletin") + P,
        ):
            assert client.get(url).status_code == 200, (username, url)


def test_an_unknown_scheme_is_a_message_and_the_standard_figures(assessor, histories):
    client = client_for(assessor)
    standard = client.get(reverse("assessment:dashboard") + P, HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(reverse("assessment:dashboard") + P + "&scheme=" + "x" * 3000, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"no active department scheme “{'x' * 40}”; the standard one is shown" in text
    assert response.context["body"] == standard.context["body"]


def test_the_shared_dashboard_figures_link_only_what_the_page_understood(assessor, histories, settings):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 600  # the rendered figures are shared by every reader of the scope
    client = client_for(assessor)
    first = client.get(reverse("assessment:dashboard") + P + "&utm=campaign-x").context["body"]
    again = client.get(reverse("assessment:dashboard") + P).context["body"]
    assert again == first and "campaign-x" not in first and "period=" in first
    schemed = client.get(reverse("assessment:dashboard") + P + "&scheme=department-daily-100").context["body"]
    assert "scheme=department-daily-100" in schemed
