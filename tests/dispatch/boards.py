"""Reading the department workspace as its handlers do: a signed-in page client and the cases of a board group."""

import re

from django.test import Client


def client_for(user):
    """A page client signed in as `user`, answered in English."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def group_numbers(body, group):
    """The case numbers listed in the board group `group` of a /dept/ page."""
    section = re.search(rf'data-group="{group}".*?</section>', body, re.S).group(0)
    return set(re.findall(r'class="case-number">([A-Z0-9]+)<', section))
