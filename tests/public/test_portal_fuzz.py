"""The page fuzz (tests/fuzz/test_pages.py) over the portal's and the 回访 queue's URLs only: hostile paths, query
parameters and form bodies as every persona, never a server error."""

import pytest
from django.test import Client

from tests.fuzz.test_pages import PERSONAS, _fuzz_pattern, _patterns, page_world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_no_portal_or_callback_page_answers_with_a_server_error(page_world, personas, assessor, settings):  # noqa: F811
    settings.PUBLIC_POSTS_PER_ADDRESS_MINUTE = 10_000
    mine = [p for p in _patterns() if p[0].startswith(("public-", "command-callback"))]
    assert len(mine) == 11
    clients = {"anonymous": Client()}
    for name in PERSONAS:
        clients[name] = Client()
        clients[name].force_login(assessor if name == "assessor" else personas[name])
    sent = []
    for name, _route, converters in mine:
        _fuzz_pattern(name, converters, clients, page_world, sent)
    assert len(sent) > 11 * 8
