"""The duplicate candidates (every report's answer, the operator's panel and intake desk, Open311) are read with one
statement whose scope condition is compiled once per scope: they are exactly what the queryset they replace gives,
for every kind of user, and a changed scope is a new condition."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import selectors
from cases.models import Case, Category
from cases.selectors import case_duplicate_candidates, case_duplicate_candidates_queryset

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "number", "address", "status", "duplicate_count", "created_at")


@pytest.fixture
def around(cases, personas):
    """Reports at one place: same class near, same class 100 m away, another class, one closed, one a week old."""
    near = [cases.report(lon=cases.lon + 0.0001 * i) for i in range(3)]
    far = cases.report(lon=cases.lon + 0.001)
    other = cases.report(category=Category.objects.filter(kind="E", parent__isnull=False).exclude(code="0102")[0])
    closed = cases.to("closed")
    old = cases.report()
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    desk = cases.report(actor=personas["operator"], source="public", contact_phone="13800000000")
    return [*near, far, other, closed, old, desk]


def _rows(found):
    return [tuple(getattr(case, column) for column in COLUMNS) for case in found]


@pytest.mark.parametrize(
    "who", ["grid_worker", "operator", "dispatcher", "handler", "street_handler", "leader", "outsider", "superuser"]
)
def test_the_candidates_are_what_the_queryset_gives(around, personas, who):
    if who == "superuser":
        user = get_user_model().objects.create_superuser("root-dup", password="x-very-long-password")
    else:
        user = personas[who]
    now = timezone.now()
    for case in around:
        for kwargs in ({"case": case}, {"category": case.category, "point": case.point}):
            expected = case_duplicate_candidates_queryset(user=user, now=now, **kwargs)
            assert _rows(case_duplicate_candidates(user=user, now=now, **kwargs)) == _rows(expected), (who, case.pk)
    if who in ("grid_worker", "operator", "superuser", "outsider"):
        found = any(case_duplicate_candidates(case=case, user=user, now=now) for case in around)
        assert found == (who != "outsider")


def test_a_changed_scope_is_a_new_condition(around, personas):
    from accounts.models import Posting

    user = personas["grid_worker"]
    probe = around[0]
    assert case_duplicate_candidates(case=probe, user=get_user_model().objects.get(pk=user.pk))
    Posting.objects.filter(user=user).delete()
    again = get_user_model().objects.get(pk=user.pk)  # a new request: the scope read afresh
    found = case_duplicate_candidates(case=probe, user=again)
    assert _rows(found) == _rows(case_duplicate_candidates_queryset(case=probe, user=again))
    assert {case.pk for case in found} <= {c.pk for c in around if c.reporter_id == user.pk}


def test_the_condition_is_compiled_once_per_scope(around, personas, monkeypatch):
    monkeypatch.setattr(selectors, "_scope_conditions", {})
    user = personas["operator"]
    for case in around[:3]:
        case_duplicate_candidates(case=case, user=get_user_model().objects.get(pk=user.pk))
    assert len(selectors._scope_conditions) == 1
