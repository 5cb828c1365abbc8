"""One set of numbers everywhere: the dashboard, the drill-downs, the XLSX export and the bulletin of a month agree
on every figure they share, live and frozen (also after later events arrive for a frozen month)."""

import io
import random
from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

import assessment.selectors as results_module
import assessment.views.dashboard as dashboard_module
from assessment.indicators.rates import DEPARTMENT_INDICATORS, REGION_INDICATORS
from assessment.models import Subject
from assessment.periods import span_containing
from assessment.selectors import period_results
from assessment.services import assessment_freeze
from grids.models import Level

from .histories import histories_write

pytestmark = pytest.mark.django_db
FEBRUARY = span_containing("month", date(2026, 2, 1))
P = f"?period={FEBRUARY.key}"
FIRST_FIGURE_COLUMN = 8  # subject, code, name, level, rank, score, grade, cases (n), then the indicators


def _write(world, count, seed, first_number):
    rnd = random.Random(seed)
    world.start = world.start.replace(month=1, day=15)
    return histories_write(lambda k: rnd.randrange(k) if k > 1 else 0, world, count, first_number=first_number)


def _number(value):
    return None if value is None else round(float(value), 2)


def _ranked(table):
    """{unit key: (rank, score, sample, grade, {figure: value})} of a ranking table in a page's context."""
    return {
        item["row"].key: (
            item["row"].rank,
            _number(item["row"].score),
            item["row"].sample,
            item["row"].grade,
            {c["name"]: _number(c["value"]) for c in item["cells"]},
        )
        for item in table
    }


def _sheet(book, index, names):
    """{code: (rank, score, sample, grade, {figure: value})} of one XLSX sheet."""
    rows = {}
    for line in list(book.worksheets[index].iter_rows(values_only=True))[1:]:
        figures = dict(zip(names, line[FIRST_FIGURE_COLUMN : FIRST_FIGURE_COLUMN + len(names)], strict=True))
        rows[line[1]] = (line[4], _number(line[5]), line[7], line[6] or "", {n: _number(v) for n, v in figures.items()})
    return rows


def _same(shared, *tables):
    """Every unit of `shared` has the same rank, score, sample, grade and shared figures in every table."""
    first = tables[0]
    assert set(shared) <= set(first)
    for table in tables[1:]:
        for key in shared:
            rank, score, sample, grade, figures = first[key]
            other = table[key]
            assert other[:4] == (rank, score, sample, grade), key
            for name in set(figures) & set(other[4]):
                assert figures[name] == other[4][name], (key, name)


def _read_everything(client):
    dashboard = client.get(reverse("assessment:dashboard") + P).context
    city = client.get(reverse("assessment:region", args=["4413"]) + P).context
    district = client.get(reverse("assessment:region", args=["441302"]) + P).context
    bulletin = client.get(reverse("assessment:bulletin") + P).context
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=["xlsx"]) + P).content))
    department_page = client.get(reverse("assessment:department", args=["city-urban-management"]) + P).context
    return dashboard, city, district, bulletin, book, department_page


def _assert_consistent(client, empty=False):
    dashboard, city, district, bulletin, book, department_page = _read_everything(client)
    frozen = {c["results"].frozen for c in (dashboard, city, district, bulletin, department_page)}
    assert len(frozen) == 1  # every page reads the same source

    # Totals: the dashboard's, the city page's, the bulletin's and the XLSX's city row.
    regions = _sheet(book, 1, REGION_INDICATORS)
    totals = {c["name"]: _number(c["value"]) for c in dashboard["totals"]}
    city_figures = {c["name"]: _number(c["value"]) for c in city["figures"]}
    bulletin_totals = {c["name"]: _number(c["value"]) for c in bulletin["totals"]}
    assert (totals["filed"] == 0) if empty else (totals["filed"] > 0)
    for name, value in totals.items():
        assert city_figures[name] == value, name
        assert regions["4413"][4][name] == value, name
        if name in bulletin_totals:
            assert bulletin_totals[name] == value, name
    twins = {c["name"]: c for c in bulletin["totals"]}
    for cell in dashboard["totals"]:
        twin = twins.get(cell["name"])
        assert twin is None or (twin["mom"], twin["yoy"]) == (cell["mom"], cell["yoy"]), cell["name"]

    # The bulletin's splits add up to its totals (受理, 立案; its 结案 column counts closings).
    splits = bulletin["splits"]
    city_row = city["row"]
    for table in ("by_source", "by_kind"):
        assert sum(r["accepted"] for r in splits[table]) == city_row.counts["accepted"] == totals["accepted"]
        assert sum(r["filed"] for r in splits[table]) == city_row.counts["filed"] == totals["filed"]
        assert sum(r["closed"] for r in splits[table]) == city_row.counts["close_steps"]

    # Districts: dashboard ranking, city drill-down, bulletin ranking, XLSX.
    districts = _ranked(dashboard["districts"])
    assert len(districts) == 5
    _same(districts, districts, _ranked(city["children"]), _ranked(bulletin["regions"]), regions)
    # Streets of one district: dashboard ranking, district drill-down, XLSX.
    streets = _ranked(district["children"])
    _same(streets, streets, _ranked(dashboard["streets"]), regions)
    # The district's own page agrees with its row everywhere.
    own = {c["name"]: _number(c["value"]) for c in district["figures"]}
    assert all(regions["441302"][4][name] == value for name, value in own.items() if name in regions["441302"][4])

    # Departments: dashboard ranking, bulletin ranking, XLSX, and one department's own page.
    departments = _ranked(dashboard["departments"])
    sheet = _sheet(book, 0, DEPARTMENT_INDICATORS)
    scored = {k: v for k, v in departments.items() if v[1] is not None}
    assert empty or scored
    _same(departments, departments, sheet)
    _same(scored, departments, _ranked(bulletin["departments"]))
    page = department_page["row"]
    assert sheet[page.key][:4] == (page.rank, _number(page.score), page.sample, page.grade)
    assert all(sheet[page.key][4][c["name"]] == _number(c["value"]) for c in department_page["figures"])

    # 高发问题: the dashboard's and the bulletin's.
    top = [(t["category"].code, t["count"]) for t in dashboard["top_categories"]]
    assert (top == []) if empty else bool(top)
    assert top == [(t["category"].code, t["count"]) for t in bulletin["top_categories"]]
    return totals


def test_a_live_month_shows_the_same_figures_on_every_page_export_and_bulletin(assessor, world):
    _write(world, 120, 5, 0)
    client = Client()
    client.force_login(assessor)
    _assert_consistent(client)
    page = client.get(reverse("assessment:bulletin") + P)
    assert b'data-source="live"' in page.content


def test_a_frozen_month_keeps_its_figures_everywhere_when_later_events_arrive(assessor, world):
    _write(world, 120, 5, 0)
    assessment_freeze(span=FEBRUARY)
    client = Client()
    client.force_login(assessor)
    before = _assert_consistent(client)
    # Events of February written after the freeze (a late import): the frozen run's figures stay, on every page.
    _write(world, 60, 6, 5000)
    after = _assert_consistent(client)
    assert after == before
    for url in (reverse("assessment:dashboard") + P, reverse("assessment:bulletin") + P):
        assert b'data-source="frozen"' in client.get(url).content


def test_a_month_frozen_before_its_events_were_loaded_shows_the_frozen_zeros_everywhere(assessor, world):
    """The bulletin once showed 受理数 0 in its totals and the live count in its table by source."""
    assessment_freeze(span=FEBRUARY)
    _write(world, 120, 5, 0)
    client = Client()
    client.force_login(assessor)
    totals = _assert_consistent(client, empty=True)
    assert totals["accepted"] == 0


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("cache_seconds", [0, 600])
@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ({Level.DISTRICT}, {Level.CITY, Level.DISTRICT, Level.STREET}),  # one shared reading of the upper levels
        ({Level.CITY, Level.DISTRICT, Level.STREET}, {Level.CITY, Level.DISTRICT, Level.STREET}),
        ({Level.STREET, Level.COMMUNITY}, None),  # the communities: every level
    ],
)
def test_a_page_reading_some_region_levels_gets_the_rows_every_level_gives(
    assessor, world, settings, frozen, cache_seconds, asked, read
):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = cache_seconds
    cache.clear()  # no live reading another test of this process kept for the same period and time bucket
    _write(world, 120, 5, 0)
    if frozen:
        assessment_freeze(span=FEBRUARY)

    def rows(**levels_asked):
        results = period_results(span=FEBRUARY, subjects=[Subject.DEPARTMENT, Subject.REGION], **levels_asked)
        assert results.frozen == frozen
        return {
            subject: [(r.key, r.level, r.rank, r.score, r.grade, r.sample, r.counts, r.values) for r in subject_rows]
            for subject, subject_rows in results.rows.items()
        }

    some, every = rows(region_levels=asked), rows()
    assert Level.COMMUNITY in {level for _key, level, *_rest in every[Subject.REGION]}
    assert some[Subject.DEPARTMENT] == every[Subject.DEPARTMENT]
    assert some[Subject.REGION] == [row for row in every[Subject.REGION] if read is None or row[1] in read]
    assert any(row[2] is not None for row in some[Subject.REGION])  # ranked within each level


def test_the_dashboard_reads_no_community_rows(assessor, world, monkeypatch):
    """A city-wide reader's dashboard shows the districts and streets: the communities' rows (most of a city's
    region rows) are neither computed nor read from a run, for the live month or the months it compares."""
    _write(world, 120, 5, 0)
    assessment_freeze(span=FEBRUARY.previous())
    read = []
    real = results_module.period_results

    def spy(**kwargs):
        results = real(**kwargs)
        read.append((kwargs["span"].key, results.frozen, {r.level for r in results.of(Subject.REGION)}))
        return results

    monkeypatch.setattr(dashboard_module, "period_results", spy)
    client = Client()
    client.force_login(assessor)
    response = client.get(reverse("assessment:dashboard") + P)
    assert len(_ranked(response.context["districts"])) == 5
    assert {key for key, _frozen, _levels in read} == {
        FEBRUARY.key,
        FEBRUARY.previous().key,
        FEBRUARY.year_before().key,
    }
    assert any(frozen for _key, frozen, _levels in read)
    assert all(levels <= {Level.CITY, Level.DISTRICT, Level.STREET} for _key, _frozen, levels in read)


def test_the_score_map_colours_each_child_with_its_ranked_row(assessor, world):
    _write(world, 120, 5, 0)
    client = Client()
    client.force_login(assessor)
    districts = _ranked(client.get(reverse("assessment:dashboard") + P).context["districts"])
    for code, child_level in (("4413", Level.DISTRICT), ("441302", Level.STREET)):
        url = reverse("assessment:map-scores") + P + f"&region={code}"
        features = [f["properties"] for f in client.get(url).json()["features"]]
        assert features and {f["level"] for f in features} == {child_level}
        if child_level == Level.DISTRICT:
            assert {f["code"]: (f["rank"], _number(f["score"])) for f in features} == {
                key: row[:2] for key, row in districts.items()
            }
        assert any(f["score"] is not None for f in features)
