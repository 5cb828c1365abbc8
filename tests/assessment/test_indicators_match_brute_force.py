"""Property: on random legal case histories, the SQL counts equal a brute-force computation in Python."""

import os
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.indicators.sql import post_counts, unit_counts
from assessment.periods import span_containing, span_custom
from cases.models import CaseEvent

from .histories import chains_write, histories_write
from .oracle import merged, oracle_counts, oracle_enforcement

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=int(os.environ.get("ASSESSMENT_EXAMPLES", 60)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _sql(span, bound, upto, enforcement_upto=None):
    departments, leaves = unit_counts(
        start=span.start, end=span.end, bound=bound, upto=upto, enforcement_upto=enforcement_upto
    )
    posts = post_counts(start=span.start, end=span.end, bound=bound, upto=upto)

    def clean(table):
        return {k: {n: v for n, v in c.items() if v} for k, c in table.items() if any(c.values())}

    return clean(departments), clean(leaves), clean(posts)


def _approx(table):
    """Handling seconds are sums of floats on one side and numerics on the other: compare to the millisecond."""
    return {k: {n: round(float(v), 3) for n, v in c.items()} for k, c in table.items()}


periods = st.one_of(
    st.builds(lambda m: span_containing("month", date(2026, m, 1)), st.integers(1, 4)),
    st.builds(
        lambda d, n: span_custom(date(2026, 1, 1) + timedelta(days=d), date(2026, 1, 1) + timedelta(days=d + n)),
        st.integers(0, 100),
        st.integers(0, 40),
    ),  # fmt: skip
    st.builds(lambda d: span_containing("week", date(2026, 1, 5) + timedelta(days=d)), st.integers(0, 90)),
)


@EXAMPLES
@given(
    rnd=st.randoms(use_true_random=False),
    span=periods,
    cases=st.integers(1, 30),
    now_after=st.integers(-40, 60),
    as_of=st.booleans(),
)
def test_every_count_matches_the_brute_force_on_random_histories(world, rnd, span, cases, now_after, as_of):
    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    with transaction.atomic():
        made = histories_write(draw, world, cases)
        chain_events = chains_write(draw, world, made)
        events = list(CaseEvent.objects.filter(case__in=made).order_by("id"))
        # "now": somewhere around the period's end (a live period, or one that ended a while ago).
        now = span.end + timedelta(days=now_after)
        upto = enforcement_upto = None
        if as_of and events:
            upto = events[draw(len(events))].id
        if as_of and chain_events:
            enforcement_upto = chain_events[draw(len(chain_events))].id
        window = {"start": span.start, "end": span.end, "bound": now}
        departments, leaves, posts = oracle_counts(made, events, **window, upto=upto)
        chain_departments, chain_leaves = oracle_enforcement(chain_events, **window, enforcement_upto=enforcement_upto)
        expected = (merged(departments, chain_departments), merged(leaves, chain_leaves), posts)
        got = _sql(span, now, upto, enforcement_upto)
        transaction.set_rollback(True)
    for name, want, have in zip(("departments", "leaves", "posts"), expected, got, strict=True):
        assert _approx(have) == _approx(want), name
