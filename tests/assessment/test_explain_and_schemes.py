"""Each figure explains itself (formula, inputs, the cases behind each input); the schemes are readable by all."""

import random
from datetime import date
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from assessment.indicators.rates import INDICATORS
from assessment.periods import span_containing
from assessment.selectors import period_results

from .histories import histories_write

pytestmark = pytest.mark.django_db
FEBRUARY = span_containing("month", date(2026, 2, 1))


@pytest.fixture
def histories(world):
    rnd = random.Random(11)
    return histories_write(lambda n: rnd.randrange(n) if n > 1 else 0, world, 40)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def explain(client, **query):
    return client.get(reverse("assessment:explain") + "?" + urlencode({"period": FEBRUARY.key, **query}))


def test_a_rate_shows_its_formula_its_inputs_and_links_to_the_cases_behind_each(assessor, histories):
    response = explain(client_for(assessor), unit="department", key="city-urban-management", indicator="close_rate")
    assert response.status_code == 200
    context = response.context
    row = period_results(span=FEBRUARY, subjects=["department"]).one("department", "city-urban-management")
    assert context["value"] == row.values["close_rate"]
    assert [t["name"] for t in context["numerator"]] == ["closed"]
    assert [t["name"] for t in context["denominator"]] == ["handled", "overdue_open"]
    assert [t["value"] for t in context["denominator"]] == [row.counts["handled"], row.counts["overdue_open"]]
    assert str(INDICATORS["close_rate"].formula()) in response.content.decode()
    for term in context["numerator"] + context["denominator"]:
        listed = client_for(assessor).get(term["url"])
        assert listed.status_code == 200 and listed.context["count"].name == term["name"]
    # The standard department scheme weighs the closing rate at 30 %.
    assert context["component"]["weight"] == 0.3


def test_the_missed_report_rate_carries_its_definition(assessor, histories, world):
    worker = world.people["grid_worker"][0]
    query = {"unit": "post", "key": worker.username, "role": "grid_worker", "indicator": "miss_rate"}
    response = explain(client_for(assessor), **query)
    assert response.status_code == 200
    assert INDICATORS["miss_rate"].note and escape(str(INDICATORS["miss_rate"].note)) in response.content.decode()
    with translation.override("en"):
        assert "track" in str(INDICATORS["miss_rate"].note) and "estimate" not in str(INDICATORS["miss_rate"].label)


def test_a_handler_may_explain_their_own_department_only(handler, histories):
    client = client_for(handler)
    own = explain(client, unit="department", key="city-urban-management", indicator="on_time_handling_rate")
    assert own.status_code == 200
    assert explain(client, unit="department", key="street-441302001", indicator="close_rate").status_code == 404
    assert explain(client, unit="region", key="441302", indicator="filed").status_code == 403


def test_every_signed_in_user_reads_the_schemes_with_weights_thresholds_and_the_ranking_rule(handler, grid_worker):
    for user in (handler, grid_worker):
        response = client_for(user).get(reverse("assessment:schemes"))
        assert response.status_code == 200
        text = response.content.decode()
        assert "department-standard" in text and "Wilson" in text
        standard = next(s for s in response.context["schemes"] if s["scheme"].code == "department-standard")
        assert [c["weight"] for c in standard["components"]] == [10.0, 30.0, 30.0, 30.0]
        assert standard["thresholds"][0][1][0] == [50, 100]
    assert Client().get(reverse("assessment:schemes")).status_code == 302
