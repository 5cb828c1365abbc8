"""Fixtures of the data-sharing API: an administrator beside the personas, and API clients."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories.accounts import user_posted


@pytest.fixture
def administrator(huizhou_grid):
    return user_posted(username="p-administrator", role=Role.ADMINISTRATOR, region=huizhou_grid.city)


@pytest.fixture
def api(db):
    """`api(user)`: an APIClient signed in as `user` (None: anonymous), asking for English messages."""

    def make(user=None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return client

    return make
