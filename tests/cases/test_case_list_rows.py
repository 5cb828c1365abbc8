"""The case lists' rows are built directly for speed (a wall of screens reads them all day); they say exactly what
the declared fields say, for cases of every shape: with and without a lead department, a running, stopped or no
clock, every light."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework import serializers

from cases.api.case_serializers import CaseDetailSerializer, CaseListSerializer
from cases.models import Case, Status
from cases.models.status import status_label
from cases.selectors import case_list_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shapes(cases):
    """A report, a case waiting for dispatch, one in handling (a lead department), one closed (no clock)."""
    made = [cases.report(), cases.to("to_dispatch"), cases.to("handling"), cases.to("closed")]
    return [case.pk for case in made]


def _field_by_field(serializer, case):
    # DRF's own walk over the declared fields: what the row must equal.
    return serializers.Serializer.to_representation(serializer, case)


def test_an_api_list_row_says_what_its_declared_fields_say(shapes, personas):
    rows = list(case_list_for_user(user=personas["dispatcher"], filters={}).filter(pk__in=shapes))
    assert {case.status for case in rows} >= {"reported", "to_dispatch", "handling", "closed"}
    assert any(case.lead_department_id for case in rows) and any(not case.lead_department_id for case in rows)
    assert any(case.stage_deadline for case in rows) and any(case.stage_deadline is None for case in rows)
    start = timezone.now()
    # Now, with every deadline passed, and with every warning passed: green, red and yellow rows.
    for now in (start, start + timedelta(days=400), *(case.stage_warn_at for case in rows if case.stage_warn_at)):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                serializer = CaseListSerializer(context={"now": now})
                for case in rows:
                    assert serializer.to_representation(case) == _field_by_field(serializer, case), case.status


def test_the_api_list_answers_with_the_rows(shapes, personas, client):
    client.force_login(personas["dispatcher"])
    body = client.get("/api/v1/cases/", headers={"accept-language": "en"}).json()
    by_id = {row["id"]: row for row in body["results"]}
    handling = Case.objects.get(pk=shapes[2])
    row = by_id[handling.pk]
    assert row["status_display"] == "Handling"
    assert row["lead_department"] == {"code": handling.lead_department.code, "name": handling.lead_department.name}
    assert row["lon"] == pytest.approx(handling.point.x) and row["lat"] == pytest.approx(handling.point.y)


def test_a_status_in_words_follows_the_active_language():
    with translation.override("en"):
        assert status_label("handling") == "Handling" == str(Status.HANDLING.label)
    with translation.override("zh-hans"):
        assert status_label("handling") == str(Status.HANDLING.label) != "Handling"
    assert status_label("no-such-status") == "no-such-status"
    case = Case(status=Status.TO_CHECK)
    with translation.override("en"):
        assert case.get_status_display() == "To check"


def test_the_serializers_built_on_the_list_row_keep_all_their_fields(shapes, personas, client):
    client.force_login(personas["dispatcher"])
    body = client.get(f"/api/v1/cases/{shapes[2]}/").json()
    assert set(body) == set(CaseDetailSerializer().fields) > set(CaseListSerializer().fields)
