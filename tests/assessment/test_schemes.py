"""Schemes are data: a change writes a new version, results keep the version that scored them."""

from datetime import date

import pytest
from django.test import Client

from assessment.models import Scheme, SchemeVersion
from assessment.periods import span_containing
from assessment.selectors import period_results, scheme_versions_in_force
from assessment.services import scheme_version_create
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_the_default_schemes_are_loaded_with_one_primary_per_subject():
    primaries = dict(Scheme.objects.filter(primary=True).values_list("subject", "code"))
    assert primaries == {
        "department": "department-standard",
        "region": "region-standard",
        "grid_worker": "grid-worker-standard",
        "operator": "operator-standard",
        "shift_lead": "shift-lead-standard",
        "dispatcher": "dispatcher-standard",
    }
    assert Scheme.objects.filter(code="department-daily-100", primary=False).exists()


def test_a_new_version_is_in_force_and_the_old_one_stays():
    scheme = Scheme.objects.get(code="department-standard")
    old = scheme.current_version()
    components = [dict(c) for c in old.components]
    components[0]["weight"], components[1]["weight"] = 0.2, 0.2
    new = scheme_version_create(
        scheme=scheme, components=components, thresholds=old.thresholds, grades=old.grades, note="立案数权重 20 %"
    )
    assert new.number == old.number + 1
    assert scheme_versions_in_force()["department"] == new
    assert SchemeVersion.objects.get(pk=old.pk).components == old.components
    with pytest.raises(ValueError):
        old.save()


def test_live_results_name_the_version_that_scored_them(world):
    results = period_results(span=span_containing("month", date(2026, 2, 1)), subjects=["department"])
    assert results.versions["department"] == Scheme.objects.get(code="department-standard").current_version().pk


def test_the_admin_saves_a_changed_scheme_as_a_new_version():
    admin = UserFactory(username="scheme-admin", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the admin in English, to read its messages
    client.force_login(admin)
    scheme = Scheme.objects.get(code="region-standard")
    version = scheme.current_version()
    import json

    form = {
        "code": scheme.code,
        "name": scheme.name,
        "subject": scheme.subject,
        "description": scheme.description,
        "primary": "on",
        "active": "on",
        "components": json.dumps(version.components),
        "thresholds": json.dumps({**version.thresholds, "above": 10}),
        "grades": json.dumps(version.grades),
        "version_note": "二类区域超档给 10 分",
        "versions-TOTAL_FORMS": "1",
        "versions-INITIAL_FORMS": "1",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
        "versions-0-id": str(version.pk),
        "versions-0-scheme": str(scheme.pk),
    }
    response = client.post(f"/admin/assessment/scheme/{scheme.pk}/change/", form)
    assert response.status_code == 302, response.content[:3000]
    latest = scheme.current_version()
    assert latest.number == version.number + 1 and latest.thresholds["above"] == 10
    assert latest.created_by == admin and latest.note == "二类区域超档给 10 分"
    # Weights that do not add up are refused with the field's message, and no version is written.
    bad = dict(form, components=json.dumps([{"indicator": "close_rate", "weight": 0.5}]))
    bad["versions-TOTAL_FORMS"] = bad["versions-INITIAL_FORMS"] = "2"
    bad.update({"versions-1-id": str(latest.pk), "versions-1-scheme": str(scheme.pk)})
    response = client.post(f"/admin/assessment/scheme/{scheme.pk}/change/", bad)
    assert response.status_code == 200 and "The weights must add up to 1." in response.content.decode()
    assert scheme.current_version() == latest
