"""The posts' rankings name people: a district reader sees the people posted in their district, nobody else's."""

import random

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Posting, Role
from tests.factories.accounts import user_posted

from .histories import histories_write

pytestmark = pytest.mark.django_db
# The whole window the histories are written in, so that both dispatchers have acted in it.
P = "?period=custom:2026-01-01:2026-12-31"
HUICHENG_DISPATCHER, HUIYANG_DISPATCHER = "h-dispatcher-0", "h-dispatcher-1"


@pytest.fixture
def district_people(world, huizhou_grid):
    """The two dispatchers of the world moved to 惠城区 and 惠阳区 before their cases are written."""
    Posting.objects.filter(user__username=HUICHENG_DISPATCHER).update(region=huizhou_grid.huicheng)
    Posting.objects.filter(user__username=HUIYANG_DISPATCHER).update(region=huizhou_grid.huiyang)
    rnd = random.Random(7)
    histories_write(lambda n: rnd.randrange(n) if n > 1 else 0, world, 40)
    return world


def ranked(user, role="dispatcher"):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("assessment:posts", args=[role]) + P)
    assert response.status_code == 200
    return {item["row"].key for item in response.context["table"]}


def figure_list(user, username):
    client = Client()
    client.force_login(user)
    query = f"&unit=post&key={username}&role=dispatcher&indicator=dispatched"
    return client.get(reverse("assessment:cases") + P + query).status_code


def test_a_city_assessor_ranks_the_dispatchers_of_every_district(district_people, assessor):
    assert ranked(assessor) == {HUICHENG_DISPATCHER, HUIYANG_DISPATCHER}
    assert figure_list(assessor, HUIYANG_DISPATCHER) == 200


def test_a_district_leader_ranks_only_the_people_posted_in_their_district(district_people, huizhou_grid):
    inside = user_posted(username="huicheng-leader", role=Role.LEADER, region=huizhou_grid.huicheng)
    assert ranked(inside) == {HUICHENG_DISPATCHER}
    assert figure_list(inside, HUICHENG_DISPATCHER) == 200


def test_the_dispatcher_of_another_district_does_not_exist_for_a_district_leader(district_people, huizhou_grid):
    outside = user_posted(username="huiyang-leader", role=Role.LEADER, region=huizhou_grid.huiyang)
    assert ranked(outside) == {HUIYANG_DISPATCHER}
    assert figure_list(outside, HUICHENG_DISPATCHER) == 404
    # The city's own staff are nobody's district people.
    assert ranked(outside, "grid_worker") == set()
    assert figure_list(outside, "h-grid_worker-0") == 404
