"""Daily roll-ups: a period summed from its days' rows (plus today) equals the direct count of its events, for the
departments, the grids and the posts."""

import os
import random
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.indicators.sql import post_counts, unit_counts
from assessment.models import DailyUnitCounts, RollupDay
from assessment.periods import span_containing, span_custom
from assessment.rollups import read
from assessment.rollups.services import rollup_day, rollup_today, rollups_sweep
from cases.models import CaseEvent, EnforcementEvent

from .histories import chains_write, histories_write

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=int(os.environ.get("ASSESSMENT_ROLLUP_EXAMPLES", 12)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _clean(table):
    return {k: {n: round(float(v), 3) for n, v in c.items() if v} for k, c in table.items() if any(c.values())}


def _roll_up_history(now, part):
    """Roll up every finished day up to `now` that holds an event or a listing's deadline (the others hold none, so
    they get an empty roll-up record), and today in two parts: up to `part` seconds into the day, then up to now."""
    today = timezone.localdate(now)
    days = {timezone.localdate(at) for at in CaseEvent.objects.values_list("at", flat=True)}
    days |= {timezone.localdate(at) for at in EnforcementEvent.objects.values_list("at", flat=True)}
    for data in EnforcementEvent.objects.filter(action="list").values_list("data", flat=True):
        days.add(timezone.localdate(timezone.datetime.fromisoformat(data["deadline"])))
    first = min(days)
    for n in range((today - first).days):
        day = first + timedelta(days=n)
        if day in days:
            rollup_day(day=day)
        else:
            RollupDay.objects.create(day=day, last_event_id=0, last_enforcement_event_id=0, computed_at=timezone.now())


periods = st.one_of(
    st.builds(lambda m: span_containing("month", date(2026, m, 1)), st.integers(1, 4)),
    st.builds(
        lambda d, n: span_custom(date(2026, 1, 1) + timedelta(days=d), date(2026, 1, 1) + timedelta(days=d + n)),
        st.integers(0, 100),
        st.integers(0, 40),
    ),  # fmt: skip
    st.builds(lambda d: span_containing("day", date(2026, 1, 5) + timedelta(days=d)), st.integers(0, 90)),
)


@EXAMPLES
@given(
    rnd=st.randoms(use_true_random=False),
    span=periods,
    cases=st.integers(1, 25),
    now_after=st.integers(-40, 60),
    part=st.one_of(st.none(), st.integers(0, 43_200)),
)
def test_the_rolled_up_period_equals_the_direct_count_on_random_histories(world, rnd, span, cases, now_after, part):
    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    with transaction.atomic():
        made = histories_write(draw, world, cases)
        chains_write(draw, world, made)
        # "now" is after every event (events are never in the future): a live period or one that ended a while ago.
        last = max(
            CaseEvent.objects.aggregate(m=Max("at"))["m"],
            EnforcementEvent.objects.aggregate(m=Max("at"))["m"] or span.start,
        )
        now = max(span.end + timedelta(days=now_after), last + timedelta(seconds=1))
        _roll_up_history(now, part)
        rolled = read.unit_counts(span=span, now=now)
        direct = unit_counts(start=span.start, end=span.end, bound=now)
        rolled_posts = read.post_counts(span=span, now=now)
        direct_posts = post_counts(start=span.start, end=span.end, bound=now)
        transaction.set_rollback(True)
    if span.first > timezone.localdate(now):
        assert rolled is None  # a period after today: counted directly (it holds nothing yet)
        return
    assert _clean(rolled[0]) == _clean(direct[0])
    assert _clean(rolled[1]) == _clean(direct[1])
    # The posts: the same people (an actor whose events count for nothing is listed too) and the same counts.
    assert {key: counts for key, (_username, _name, counts) in rolled_posts.items()} == direct_posts


def test_a_late_event_makes_the_sweep_rewrite_its_day(world):
    rnd = random.Random(7)

    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    made = histories_write(draw, world, 12)
    today = timezone.localdate()
    first = timezone.localdate(CaseEvent.objects.order_by("at").first().at)
    rollups_sweep()
    assert RollupDay.objects.filter(through__isnull=True).count() == (today - first).days
    assert RollupDay.objects.get(day=today).through is not None  # today so far, in parts
    late = CaseEvent.objects.filter(action="register").order_by("at").first()
    day = timezone.localdate(late.at)
    before = RollupDay.objects.get(day=day)
    filed = sum(r.filed for r in DailyUnitCounts.objects.filter(day=day, department_id=None))
    # A register event of that day arrives late (an offline device), with a new id.
    CaseEvent.objects.create(
        case=made[0], action="register", at=late.at, region_path=made[0].region_path, from_status="to_register",
        to_status="to_dispatch", data={},
    )  # fmt: skip
    assert day in rollups_sweep()
    after = RollupDay.objects.get(day=day)
    assert after.events == before.events + 1
    assert sum(r.filed for r in DailyUnitCounts.objects.filter(day=day, department_id=None)) == filed + 1
    assert rollups_sweep() == []


def test_a_roll_up_written_while_a_reading_runs_makes_it_read_again(world, monkeypatch):
    """The beat writes today's next part between a reading's look at what is stored and its read of the stored rows:
    read as they came, the new part would be both stored and computed live (counted twice)."""
    rnd = random.Random(11)

    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    made = histories_write(draw, world, 12)
    rollups_sweep()  # the finished days, and today so far
    # A case is filed after today's stored part: the next part holds it.
    CaseEvent.objects.create(
        case=made[0], action="register", at=timezone.now(), region_path=made[0].region_path,
        from_status="to_register", to_status="to_dispatch", data={},
    )  # fmt: skip
    now = timezone.now()
    span = span_containing("month", timezone.localdate(now))
    stored, calls = read._stored, []

    def beat_writes_meanwhile(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            rollup_today(now=now)
        return stored(*args, **kwargs)

    monkeypatch.setattr(read, "_stored", beat_writes_meanwhile)
    rolled = read.unit_counts(span=span, now=now)
    assert len(calls) == 2  # read again, over one state
    direct = unit_counts(start=span.start, end=span.end, bound=now)
    assert _clean(rolled[0]) == _clean(direct[0])
    assert _clean(rolled[1]) == _clean(direct[1])


def test_summing_a_period_takes_the_same_queries_whatever_its_rows(world):
    rnd = random.Random(5)

    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    now = timezone.now()
    span = span_containing("month", timezone.localdate(now))
    counted = []
    for cases in (3, 30):
        histories_write(draw, world, cases, first_number=len(counted) * 100)
        RollupDay.objects.all().delete()
        rollups_sweep(now=now)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert read.unit_counts(span=span, now=now) is not None
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_without_roll_ups_the_period_is_counted_directly(world):
    assert RollupDay.objects.count() == 0
    assert read.unit_counts(span=span_containing("month", timezone.localdate()), now=timezone.now()) is None


def test_the_live_dashboard_from_roll_ups_is_rendered_once_per_scope_and_bucket(settings, world, assessor):
    """First request: roll-ups + today; the next one reads the rendered figures (a handful of queries, whatever the
    number of cases); another reader's scope gets its own rendering."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 86_400  # one bucket for the whole test
    rnd = random.Random(11)
    histories_write(lambda n: rnd.randrange(n) if n > 1 else 0, world, 20)
    rollups_sweep()
    client = Client()
    client.force_login(assessor)
    url = reverse("assessment:dashboard")
    first = client.get(url)
    assert first.status_code == 200 and "departments" in first.context
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url)
    assert again.status_code == 200
    assert again.content.split(b'id="departments"')[1] == first.content.split(b'id="departments"')[1]
    assert len(cached) <= 10


def test_the_live_dashboard_from_roll_ups_takes_the_same_queries_for_3_and_30_cases(world, assessor):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    rnd = random.Random(13)
    client = Client()
    client.force_login(assessor)
    url = reverse("assessment:dashboard")
    counted = []
    for n, first_number in ((3, 0), (27, 100)):
        histories_write(lambda k: rnd.randrange(k) if k > 1 else 0, world, n, first_number=first_number)
        RollupDay.objects.all().delete()
        rollups_sweep()
        client.get(url)  # the session and the scheme lookups
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]
