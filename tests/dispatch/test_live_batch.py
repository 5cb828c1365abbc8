"""The live stream's shared read: one read per server process and wake-up, each stream keeping what its user may
see by the scope rule in Python (cases.models.querysets.case_visible_to), exactly what its own read in SQL gives."""

import asyncio

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from cases.models import Case, Source
from cases.models.querysets import CaseFacts, case_visible_to
from dispatch import selectors
from dispatch.live import stream
from dispatch.services.whistles import whistle_blow
from grids.models import Region
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db

STREET = "street-441302001"
HUIYANG_DISTRICT = "441303"


@pytest.fixture
def spread(cases, personas, huizhou_departments):
    """Cases of every kind of reach: reported in a community, led by a department with a street office assisting,
    a department summoned by a whistle, one in another district, one assigned to a grid worker to check; and the
    feed's cursor before them."""
    start = selectors.event_feed_start()
    reported = cases.report()
    led = cases.act(
        cases.to("to_dispatch"), "dispatcher", "dispatch",
        lead_department=personas["handler_department"].code, assisting_departments=[STREET],
    )  # fmt: skip
    whistle_blow(case_id=led.pk, actor=personas["street_handler"], departments=["city-water"], note="请到场")
    point = Region.objects.get(code=HUIYANG_DISTRICT).geom.point_on_surface
    elsewhere = cases.report(actor=personas["operator"], lon=point.x, lat=point.y, source=Source.PUBLIC)
    checking = cases.to("checking")
    return start, [reported, led, elsewhere, checking]


def _users(personas, huizhou_departments):
    water = user_posted(username="p-water", role=Role.HANDLER, department=huizhou_departments["city-water"])
    root = User.objects.create_superuser(username="p-root", password="x")  # noqa: S106 - a test account
    nobody = User.objects.create_user(username="p-nobody", password="x")  # noqa: S106 - a test account
    people = [u for k, u in personas.items() if k != "handler_department"]
    return [*people, water, root, nobody]


def _facts(case):
    others = set(case.assisting_departments.values_list("pk", flat=True))
    others |= set(case.summonses.values_list("department_id", flat=True))
    return CaseFacts(case.region_path, case.reporter_id, case.assignee_id, case.lead_department_id, frozenset(others))


def test_the_scope_rule_in_python_agrees_with_the_queryset_for_every_persona(spread, personas, huizhou_departments):
    for user in _users(personas, huizhou_departments):
        in_sql = set(Case.objects.visible_to(user).values_list("pk", flat=True))
        in_python = {case.pk for case in Case.objects.all() if case_visible_to(user, _facts(case))}
        assert in_python == in_sql, user.username
    # The rule is not trivially true or false: some persona sees some cases and misses others.
    assert 0 < len(Case.objects.visible_to(personas["outsider"])) < Case.objects.count()


def test_every_user_takes_from_the_shared_batch_what_their_own_read_gives(spread, personas, huizhou_departments):
    users = _users(personas, huizhou_departments)
    start, _cases = spread
    batch = selectors.event_feed_batch(after=start)
    assert batch.events and batch.horizon == batch.events[-1].id
    seen = set()
    for user in users:
        for limit in (3, 100):
            own = selectors.event_feed_page_for_user(user=user, after=start, limit=limit)
            with CaptureQueriesContext(connection) as queries:
                shared = selectors.event_feed_page_of_batch(user=user, batch=batch, limit=limit)
            assert ([e.id for e in shared[0]], *shared[1:]) == ([e.id for e in own[0]], *own[1:]), user.username
            assert len(queries) == 0
        seen.add(len(own[0]))
    assert len(seen) > 1  # the users' pages differ


def test_the_batch_costs_the_same_queries_for_few_events_and_many(cases, personas):
    start = selectors.event_feed_start()
    cases.report()
    with CaptureQueriesContext(connection) as few:
        small = selectors.event_feed_batch(after=start)
    for _ in range(6):
        cases.to("to_dispatch")
    with CaptureQueriesContext(connection) as many:
        large = selectors.event_feed_batch(after=start)
    assert len(large.events) > 3 * len(small.events)
    assert len(few) == len(many) == 4
    with CaptureQueriesContext(connection) as nothing:
        assert selectors.event_feed_batch(after=large.horizon).events == []
    assert len(nothing) == 1


def test_streams_woken_by_the_same_announcement_share_one_read():
    reads = []

    async def read(function, /, **kwargs):
        reads.append(kwargs["after"])
        await asyncio.sleep(0)
        return ("batch", kwargs["after"])

    async def failing(function, /, **kwargs):
        reads.append("failed")
        raise OperationalError("the database went away")

    async def scenario():
        share = stream.BatchShare()
        woken = await asyncio.gather(*(share.batch(1, 10, read) for _ in range(5)))
        assert woken == [("batch", 10)] * 5 and reads == [10]
        await share.batch(1, 11, read)  # another cursor
        await share.batch(2, 10, read)  # a later wake-up reads again
        assert await share.batch(1, 10, read) is None  # a stream still on the earlier one reads on its own
        assert await share.batch(2, 10, read) == ("batch", 10)
        assert reads == [10, 11, 10]
        with pytest.raises(OperationalError):
            await share.batch(3, 10, failing)
        assert await share.batch(3, 10, read) == ("batch", 10)  # a failed read is not kept
        assert reads == [10, 11, 10, "failed", 10]

    asyncio.run(scenario())


def test_heartbeats_in_the_same_second_share_one_read(monkeypatch):
    reads, clock = [], [100.2]
    monkeypatch.setattr(stream.time, "monotonic", lambda: clock[0])

    async def read(function, /, **kwargs):
        reads.append(kwargs["after"])
        return ("batch", kwargs["after"])

    async def scenario():
        share = stream.BatchShare()
        beats = await asyncio.gather(*(share.heartbeat(10, read) for _ in range(5)))
        assert beats == [("batch", 10)] * 5 and reads == [10]
        clock[0] = 100.9  # the same second
        await share.heartbeat(10, read)
        assert reads == [10]
        clock[0] = 101.0  # the next second reads again
        await share.heartbeat(10, read)
        assert reads == [10, 10]

    asyncio.run(scenario())
