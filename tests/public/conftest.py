"""Fixtures of the public portal: a fresh client address and phone per test (rate limits count in the shared
cache across tests), and a resident's report through the page."""

import random
import re

import pytest
from django.test import Client

from cases.models import Case
from dispatch.models import OutboxMessage
from tests.fixtures.cases import jpeg_upload


@pytest.fixture
def address():
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
def phone():
    return f"139{random.randrange(10**8):08d}"


@pytest.fixture
def resident(address):
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


class Portal:
    def __init__(self, cases):
        self.cases = cases

    def form(self, **overrides):
        data = {
            "photo": jpeg_upload(),
            "lon": f"{self.cases.lon:.6f}",
            "lat": f"{self.cases.lat:.6f}",
            "category": "E0102",
            "description": "小区门口垃圾没人清",
            "address": "东湖路 12 号",
            "contact_name": "",
            "contact_phone": "",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def report(self, client, **overrides):
        """Post a report; returns (response, case or None, follow token or None)."""
        before = set(Case.objects.values_list("pk", flat=True))
        response = client.post("/public/report/", self.form(**overrides))
        made = Case.objects.exclude(pk__in=before).first()
        token = None
        if response.status_code == 302:
            token = re.match(r"^/public/follow/([^/]+)/$", response["Location"]).group(1)
        return response, made, token

    @staticmethod
    def code_sent_to(phone):
        message = OutboxMessage.objects.filter(recipient=phone, key__startswith="public-code:").order_by("-id").first()
        return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def portal(cases):
    return Portal(cases)
