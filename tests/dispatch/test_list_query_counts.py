"""The case lists a wall of screens reads (the command centre's tabs, the API's list) cost a fixed number of
queries, the same at 3 cases and at 30, on the first page and on a later page of a status tab; and the tab
counts are one query."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dispatch.pages.selectors import queue_cursor
from tests.dispatch.boards import client_for

pytestmark = pytest.mark.django_db

# The session and its user, the user's postings, the page of cases with what their rows show (the proposed lead
# department of a stored routing joined in; the proposed assisting departments, which a row does not show, are
# not read).
COMMAND_LIST_QUERIES = 4
# The session and its user, the user's postings, the page of cases.
API_LIST_QUERIES = 4


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), response


def _api_client(user):
    client = APIClient()
    client.force_login(user)
    return client


def _pages(cases, personas, count):
    """The command centre's to-dispatch tab and the API's handling list, first and second page, for `count` cases
    of each."""
    waiting = [cases.to("to_dispatch") for _ in range(count)]
    for _ in range(count):
        cases.to("handling")
    command, api = client_for(personas["dispatcher"]), _api_client(personas["dispatcher"])
    # A cursor inside the tab: the rows after the oldest-but-one case (same deadline order as the page).
    after = sorted(waiting, key=lambda case: (case.stage_deadline, -case.pk))[0]
    pages = {
        "command first": _queries(command, "/command/cases/?queue=to_dispatch"),
        "command later": _queries(command, f"/command/cases/?queue=to_dispatch&cursor={queue_cursor(after)}"),
        "api first": _queries(api, "/api/v1/cases/?status=handling&page_size=2"),
    }
    cursor = parse_qs(urlparse(pages["api first"][1].json()["next"]).query)["cursor"][0]
    pages["api later"] = _queries(api, f"/api/v1/cases/?status=handling&page_size=2&cursor={cursor}")
    return {name: n for name, (n, _response) in pages.items()}, pages


def test_the_lists_cost_the_same_queries_at_3_and_30_cases_on_first_and_later_pages(cases, personas):
    few, _ = _pages(cases, personas, 3)
    many, pages = _pages(cases, personas, 27)
    assert (
        few
        == many
        == {
            "command first": COMMAND_LIST_QUERIES,
            "command later": COMMAND_LIST_QUERIES,
            "api first": API_LIST_QUERIES,
            "api later": API_LIST_QUERIES,
        }
    )
    assert pages["command first"][1].content.decode().count('class="case-row ') == 25
    assert len(pages["api later"][1].json()["results"]) == 2
