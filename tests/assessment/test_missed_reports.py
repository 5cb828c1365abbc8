"""漏报: a constructed patrol day, walked through the real services, with the missed cases known by hand.

14 October 2026 in 东湖社区 (cells A–D of patrols.py; the patrol area holds A and B; window 2 h, tolerance 30 m):

W1 (the grid worker persona) patrols 08:00–12:00: in A 09:00–09:20, in B 09:30–09:50, in C 10:00–12:00.
W2 patrols 08:00–17:00: in C, except B 10:30–10:45 and 13:00–14:00, and 10 m south of A 15:00–15:30.
W3 is a worker of the area with no patrol that day. W4 patrols A all day but only for a public-order area.

1  12345 in A at 10:30, filed                     → W1 (in A 09:00–09:20, inside [08:30, 10:30])
2  public in B at 14:10, filed                    → W2 (B 13:00–14:00); W1's patrol had ended
3  public in A at 11:45, filed                    → nobody: W1 was last in A at 09:20, before 09:45
4  sensor in C at 10:00, filed                    → nobody: C is in no patrol area (W1 walked there)
5  12319 in B at 09:55, filed, then voided        → nobody
6  public in B at 09:58, registration refused     → nobody
7  W1's own report in A at 09:10, filed           → nobody (and it makes W1's 有效上报率 100 %)
8  leader assignment in B at 11:00, filed         → W1 (B 09:30–09:50) and W2 (B 10:30–10:45)
9  media in A at 16:00, filed                     → W2 (10 m from A 15:00–15:30, within the tolerance)
10 public in A at 10:40 on 15 October, filed      → not in the day
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import Role
from assessment.compute import period_compute
from assessment.indicators.counts import COUNTS
from assessment.indicators.missed import missed_params, missed_sql
from assessment.indicators.sql import _params, post_counts
from assessment.models import Subject
from assessment.periods import span_containing
from assessment.selectors import case_list_for_figure, period_results, scheme_versions_in_force
from assessment.services import assessment_freeze
from cases.models import Case, CaseEvent
from grids.models import Network, Region, TrackPoint
from tests.factories.accounts import user_posted

from .oracle import oracle_missed
from .patrols import PatrolWorld, patrol, walk

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
DAY = span_containing("day", datetime(2026, 10, 14).date())


def at(hour, minute=0, day=14):
    return datetime(2026, 10, day, hour, minute, tzinfo=TZ)


class Day:
    """The constructed day: the world, the workers and the cases by number."""

    def __init__(self, cases, grid_worker):
        community = Region.objects.get(code=cases.community.code)
        self.world = PatrolWorld(community, cases.lon, cases.lat)
        self.w1 = grid_worker
        self.w2, self.w3, self.w4 = (
            user_posted(username=f"missed-w{i}", role=Role.GRID_WORKER, region=community) for i in (2, 3, 4)
        )
        w = self.world
        area = w.area("AB", [self.w1, self.w2, self.w3])
        w.area("AB", [self.w4], network=Network.PUBLIC_ORDER, code="order-area")
        s1 = patrol(self.w1, at(8), at(12), area=area)
        walk(s1, at(9), at(9, 20), w.centre("A"))
        walk(s1, at(9, 30), at(9, 50), w.centre("B"))
        walk(s1, at(10), at(12), w.centre("C"))
        s2 = patrol(self.w2, at(8), at(17), area=area)
        walk(s2, at(8), at(10, 25), w.centre("C"))
        walk(s2, at(10, 30), at(10, 45), w.centre("B"))
        walk(s2, at(10, 50), at(12, 55), w.centre("C", dx=0.0002))
        walk(s2, at(13), at(14), w.centre("B", dy=0.0002))
        walk(s2, at(14, 5), at(14, 55), w.centre("C"))
        walk(s2, at(15), at(15, 30), w.just_south_of("A"))
        walk(s2, at(15, 35), at(17), w.centre("C"))
        s4 = patrol(self.w4, at(8), at(17))
        walk(s4, at(8), at(17), w.centre("A"))
        self.sessions = {"w1": s1, "w2": s2}
        self.cases = {}
        self._cases = cases
        self.filed(1, "A", at(10, 30), "hotline_12345")
        self.filed(2, "B", at(14, 10), "public")
        self.filed(3, "A", at(11, 45), "public")
        self.filed(4, "C", at(10), "sensor")
        five = self.filed(5, "B", at(9, 55), "hotline_12319")
        cases.act(five, "operator", "request_void", note="重复来电", now=at(10, 5))
        cases.act(five, "shift_lead", "approve_void", now=at(10, 10))
        six = self.report(6, "B", at(9, 58), "public")
        six = cases.act(six, "operator", "accept", now=at(10, 0))
        cases.act(six, "shift_lead", "refuse_registration", note="不属于城管范围", now=at(10, 5))
        self.filed(7, "A", at(9, 10), None)
        self.filed(8, "B", at(11), "leader")
        self.filed(9, "A", at(16), "media")
        self.filed(10, "A", at(10, 40, day=15), "public")

    def report(self, number, cell, when, source):
        point = self.world.centre(cell, dx=0.0001 * number / 10)
        actor = "grid_worker" if source is None else "operator"
        case = self._cases.report(actor=self._cases.p[actor], source=source, lon=point.x, lat=point.y, now=when)
        self.cases[number] = case
        return case

    def filed(self, number, cell, when, source):
        case = self.report(number, cell, when, source)
        case = self._cases.act(case, "operator", "accept", now=when + timedelta(minutes=2))
        filing = {"filing_condition": self._cases.condition.pk, "urgency": "normal"}
        return self._cases.act(case, "shift_lead", "register", now=when + timedelta(minutes=5), **filing)

    def numbers(self, ids):
        by_id = {c.pk: n for n, c in self.cases.items()}
        return sorted(by_id[i] for i in ids)


@pytest.fixture
def day(cases, grid_worker):
    return Day(cases, grid_worker)


def _missed_rows(span, upto=None, track_upto=None):
    params = _params(span.start, span.end, span.end, upto, track_upto)
    with connection.cursor() as cursor:
        cursor.execute(missed_sql(upto, track_upto), params)
        return cursor.fetchall()


def test_the_cases_land_in_the_hand_made_unit_grids(day):
    assert day.cases[1].region == day.world.cells["A"]
    assert day.cases[8].region == day.world.cells["B"]
    assert day.cases[4].region == day.world.cells["C"]


def test_exactly_the_expected_cases_are_missed_by_each_worker(day):
    rows = _missed_rows(DAY)
    missed = {}
    for case_id, worker_id, session_id, _at in rows:
        missed.setdefault(worker_id, []).append(case_id)
        assert session_id == day.sessions["w1" if worker_id == day.w1.pk else "w2"].pk
    assert {w: day.numbers(ids) for w, ids in missed.items()} == {day.w1.pk: [1, 8], day.w2.pk: [2, 8, 9]}


def test_the_oracle_agrees_on_the_day(day):
    params = missed_params()
    expected = oracle_missed(
        start=DAY.start, end=DAY.end, window=params["missed_window"], tolerance_m=params["tolerance_m"]
    )
    got = {}
    for case_id, worker_id, session_id, _at in _missed_rows(DAY):
        got.setdefault(worker_id, {})[case_id] = session_id
    assert got == expected


def test_a_tighter_tolerance_drops_the_case_walked_past_outside_the_grid(day, settings):
    settings.ASSESSMENT_MISSED_TOLERANCE_M = 5
    got = {(w, day.numbers([c])[0]) for c, w, _s, _a in _missed_rows(DAY)}
    assert (day.w2.pk, 9) not in got
    assert (day.w2.pk, 2) in got


def test_the_indicator_and_the_score_in_the_periods_results(day, leader):
    counts = post_counts(start=DAY.start, end=DAY.end, bound=at(23, day=20))
    assert counts[(day.w1.pk, "grid_worker")]["missed"] == 2
    assert counts[(day.w2.pk, "grid_worker")]["missed"] == 3
    assert (day.w3.pk, "grid_worker") not in counts
    rows = period_compute(DAY, versions=scheme_versions_in_force(), now=at(23, day=20), subjects=["grid_worker"])
    w1 = next(r for r in rows[Subject.GRID_WORKER] if r.obj_id == day.w1.pk)
    assert w1.counts["effective_reports"] == 1
    assert w1.values["miss_rate"] == 66.67  # 2 / (2 + 1)
    # 有效上报率 100 × 0.4 + (100 − 66.67) × 0.2, over the weight of the rates that apply (0.6).
    assert float(w1.score) == pytest.approx((100 * 0.4 + (100 - 200 / 3) * 0.2) / 0.6, abs=0.01)
    assert w1.components["miss_rate"] == pytest.approx(33.33, abs=0.01)


def test_the_figure_links_to_the_cases_behind_it(day, leader):
    listed = case_list_for_figure(
        user=leader, span=DAY, run=None, unit_kind="post", key=day.w2.pk, role="grid_worker", count=COUNTS["missed"]
    )
    assert day.numbers(listed.values_list("pk", flat=True)) == [2, 8, 9]


def test_a_frozen_day_keeps_its_figures_when_a_track_arrives_late(day, leader):
    run = assessment_freeze(span=DAY, now=at(1, day=15))
    assert run.last_track_point_id is not None
    assert run.extras["missed_rule"] == {"window_minutes": 120, "tolerance_m": 30.0}
    # W1's phone uploads late: it was in A at 11:32 as well, so case 3 (A, 11:45) becomes missed too.
    walk(day.sessions["w1"], at(11, 32), at(11, 32), day.world.centre("A"))
    frozen = period_results(span=DAY, subjects=["grid_worker"])
    assert frozen.frozen
    assert frozen.one("grid_worker", day.w1.username).counts["missed"] == 2
    listed = case_list_for_figure(
        user=leader, span=DAY, run=run, unit_kind="post", key=day.w1.pk, role="grid_worker", count=COUNTS["missed"]
    )
    assert day.numbers(listed.values_list("pk", flat=True)) == [1, 8]
    live = period_results(span=DAY, subjects=["grid_worker"], live=True)
    assert live.one("grid_worker", day.w1.username).counts["missed"] == 3


# ---- random days: the SQL and the oracle agree -------------------------------------------------------------

SOURCES = ("public", "hotline_12345", "hotline_12319", "sensor", "leader", "media", "other_system", "grid_worker")


def _random_day(rnd, world, people, category, creator):
    """Patrols with tracks at random spots and times, and cases of every channel and fate around the day."""
    spots = [world.centre(c) for c in "ABCD"] + [world.just_south_of("A"), world.just_south_of("B")]
    start = DAY.start
    sessions = []
    for worker in people:
        for i in range(rnd.randrange(1, 3)):
            begin = start + timedelta(minutes=rnd.randrange(20 * 60))
            # At most one open patrol per person (a database rule): only the first may still be running.
            end = None if i == 0 and rnd.randrange(4) == 0 else begin + timedelta(minutes=30 + rnd.randrange(8 * 60))
            session = patrol(worker, begin, end)
            sessions.append(session)
            times = sorted({rnd.randrange(9 * 60) for _j in range(rnd.randrange(1, 90))})
            rows = []
            for minute in times:
                spot = rnd.choice(spots)
                jitter = (rnd.uniform(-1e-5, 1e-5), rnd.uniform(-1e-5, 1e-5))
                point = Point(spot.x + jitter[0], spot.y + jitter[1], srid=4326)
                when = begin + timedelta(minutes=minute)
                rows.append(TrackPoint(session=session, user=worker, recorded_at=when, point=point))
            TrackPoint.objects.bulk_create(rows)
    made = []
    for n in range(30):
        cell = rnd.choice("ABCD")
        spot = world.centre(cell, dx=rnd.uniform(-4e-4, 4e-4), dy=rnd.uniform(-4e-4, 4e-4))
        t = start + timedelta(minutes=rnd.randrange(-120, 26 * 60))
        source = rnd.choice(SOURCES)
        reporter = rnd.choice(people) if source == "grid_worker" or rnd.randrange(6) == 0 else None
        case = Case.objects.create(
            number=f"M{n:012d}", kind="E", category=category, description="random", point=spot,
            region=world.cells[cell], region_path=world.cells[cell].path, source=source, reporter=reporter,
            created_by=creator, status="reported", created_at=t,
        )  # fmt: skip
        events = [("report", t)]
        fate = rnd.randrange(5)
        if fate != 0:
            events.append(("accept", t + timedelta(minutes=3)))
        if fate in (2, 3, 4):
            events.append(("register", t + timedelta(minutes=rnd.randrange(5, 30 * 60))))
        if fate == 1:
            events.append(("refuse_registration", t + timedelta(minutes=10)))
        if fate in (3, 4):
            last = events[-1][1]
            events.append(("request_void", last + timedelta(minutes=5)))
            events.append(("approve_void", last + timedelta(minutes=rnd.randrange(10, 20 * 60))))
        made += [(case, action, when) for action, when in events]
    made.sort(key=lambda row: row[2])
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, region_path=case.region_path, action=action, from_status="", to_status="",
                  actor=creator, actor_role="operator", at=when, data={})
        for case, action, when in made
    )  # fmt: skip
    return sessions


def test_the_sql_and_the_oracle_agree_on_random_days(cases, grid_worker, world):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    community = Region.objects.get(code=cases.community.code)
    patrol_world = PatrolWorld(community, cases.lon, cases.lat)
    people = world.people["grid_worker"] + [grid_worker]
    patrol_world.area("AB", people[:2])
    patrol_world.area("BC", people[1:], code="second-area")
    category, creator = world.category, world.creator

    @settings(max_examples=12, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(rnd=st.randoms(use_true_random=False), as_of=st.booleans(), tolerance=st.sampled_from([0, 30, 60]))
    def check(rnd, as_of, tolerance):
        with transaction.atomic():
            _random_day(rnd, patrol_world, people, category, creator)
            upto = track_upto = None
            if as_of:
                upto = rnd.choice(list(CaseEvent.objects.order_by("id").values_list("id", flat=True)) or [0])
                # In id order: the table's physical order depends on what earlier tests left in it.
                track_upto = rnd.choice(list(TrackPoint.objects.order_by("id").values_list("id", flat=True)) or [0])
            with override_settings(ASSESSMENT_MISSED_TOLERANCE_M=tolerance):
                params = missed_params()
                expected = oracle_missed(
                    start=DAY.start, end=DAY.end, window=params["missed_window"], tolerance_m=tolerance,
                    upto=upto, track_upto=track_upto,
                )  # fmt: skip
                got = {}
                for case_id, worker_id, session_id, _at in _missed_rows(DAY, upto, track_upto):
                    got.setdefault(worker_id, {})[case_id] = session_id
            transaction.set_rollback(True)
        assert got == expected

    check()
    # Not a vacuous agreement: days drawn like these have misses to agree on. Counted on days of fixed seeds, not on
    # Hypothesis's examples: those vary with what ran before in the process (4 to 31 misses in twelve days seen).
    missed = []
    for seed in range(VACUITY_DAYS):
        with transaction.atomic():
            _random_day(random.Random(seed), patrol_world, people, category, creator)
            missed.append(len(list(_missed_rows(DAY, None, None))))
            transaction.set_rollback(True)
    assert sum(missed) >= VACUITY_DAYS, f"days like these should miss a case each on average: {missed}"


# Days of fixed seeds the random-day test counts misses on.
VACUITY_DAYS = 8
