"""The dashboard pages read with the same number of queries whether a month has 3 or 30 cases."""

import random
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.periods import span_containing
from assessment.services import assessment_freeze

from .histories import histories_write

pytestmark = pytest.mark.django_db
FEBRUARY = span_containing("month", date(2026, 2, 1))
P = f"?period={FEBRUARY.key}"
PAGES = [
    reverse("assessment:dashboard") + P,
    reverse("assessment:department", args=["city-urban-management"]) + P,
    reverse("assessment:region", args=["441302"]) + P,
    reverse("assessment:posts", args=["dispatcher"]) + P,
    reverse("assessment:cases") + P + "&unit=region&key=4413&indicator=filed",
    reverse("assessment:bulletin") + P,
    reverse("assessment:export", args=["csv"]) + P,
    reverse("assessment:map-data") + P,
]


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def _write(world, n, seed):
    rnd = random.Random(seed)
    # All in the last days of January and February, so every page has figures to show.
    world.start = world.start.replace(month=1, day=20)
    return histories_write(lambda k: rnd.randrange(k) if k > 1 else 0, world, n, first_number=seed * 1000)


@pytest.mark.parametrize("frozen", [False, True], ids=["live", "frozen"])
def test_page_queries_do_not_grow_with_the_cases(assessor, world, frozen):
    client = Client()
    client.force_login(assessor)
    _write(world, 3, 1)
    if frozen:
        assessment_freeze(span=FEBRUARY)
    client.get(PAGES[0])  # warm the session and the scheme lookups
    few = {url: _queries(client, url) for url in PAGES}
    _write(world, 27, 2)
    many = {url: _queries(client, url) for url in PAGES}
    assert many == few
