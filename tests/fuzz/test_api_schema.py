"""Schemathesis over every operation of the OpenAPI schema, as several roles, in-process on the real stack.

Each operation gets generated requests that fit the schema (positive) and requests that break it (negative); every
answer must be no server error, have a documented status code and content type, and match the documented body.
A stateful run follows the links schemathesis infers between operations (a case listed → its detail, routing,
transitions and orders). FUZZ_EXAMPLES sets the examples per operation and mode (nightly: a few hundred).
"""

import os
import time
from dataclasses import dataclass, field

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from grids.models import Region
from tests.factories.accounts import user_posted
from tests.factories.sensing import sensing_source

SCHEMA_URL = "/api/schema/"
# The administrator reaches the data-sharing API's writes (departments, responsibility list, calendar).
ROLES = ("dispatcher", "grid_worker", "administrator")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Tally:
    """What one fuzz run did: operations, requests sent, server errors and every distinct failure."""

    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    violations: int = 0
    failures: dict = field(default_factory=dict)

    def line(self, label):
        return (
            f"schemathesis [{label}]: {self.operations} operations, {self.cases} cases, "
            f"{self.server_errors} server errors, {self.violations} schema violations"
        )


def _settings():
    return hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def _fuzz_operation(operation, mode, headers, tally):
    @_settings()
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        tally.cases += 1
        if response.status_code >= 500:
            tally.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup:
            tally.violations += response.status_code < 500
            raise

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing in this operation can be made invalid (no parameters, no body)
    except BaseException as exc:  # noqa: BLE001 - a check's FailureGroup; recorded, the run goes on
        if isinstance(exc, KeyboardInterrupt):
            raise
        tally.failures[f"{operation.label} ({mode.value})"] = str(exc)


@pytest.fixture
def fuzz_data(cases):
    """A few real cases in different states, so that lists and detail pages have something to show."""
    cases.report()
    cases.to("to_dispatch")
    handling = cases.to("handling")
    # An enforcement chain, so the enforcement endpoints have one to show.
    cases.act(
        handling, "dispatcher", "transfer_to_enforcement", note="移送", enforcement_body="city-urban-enforcement",
        violation="占道经营",
    )  # fmt: skip
    return cases


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(role, personas, fuzz_data, wsgi_app, settings, capsys):
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 0  # the feed's long poll would only make the run slow
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app)
    user = personas.get(role) or user_posted(
        username="p-fuzz-administrator", role=Role.ADMINISTRATOR, region=Region.objects.defer("geom").get(code="4413")
    )
    # identity: the grid's GeoJSON is gzipped for clients that accept it, and the in-process client does not unzip.
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}", "Accept-Encoding": "identity"}
    tally, started = Tally(), time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, headers, tally)
    with capsys.disabled():
        print(f"\n{tally.line(role)} in {time.monotonic() - started:.0f} s")
    assert tally.operations >= 19
    assert not tally.failures, "\n\n".join(f"== {label}\n{text}" for label, text in tally.failures.items())


@pytest.mark.slow
def test_sensing_ingestion_answers_as_documented_with_a_valid_key(personas, fuzz_data, wsgi_app, settings, capsys):
    """The ingestion endpoint answers a source's key, not a person's token: fuzzed here with a valid key (the runs
    above reach only its 401)."""
    _source, key = sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"),), rate_limit=10**6)
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app)
    tally = Tally(operations=2)
    for operation in (schema["/api/v1/sensing/events/"]["POST"], schema["/api/v1/sensing/events/{event_id}/"]["GET"]):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, {"X-Api-Key": key}, tally)
    with capsys.disabled():
        print(f"\n{tally.line('sensing source key')}")
    assert tally.cases > 0
    assert not tally.failures, "\n\n".join(f"== {label}\n{text}" for label, text in tally.failures.items())
