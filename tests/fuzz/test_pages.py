"""Every URL pattern of the HTML pages and partials, as every kind of user, with hostile path values, query
parameters and form bodies: whatever comes in, the answer is never a server error.

The patterns are read from the URL configuration, so a new page is fuzzed without being listed here; only the API
(fuzzed by schemathesis in test_api_schema.py), the admin and the language switch are left out.
"""

import os
import re
from decimal import Decimal

import hypothesis
import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st

from accounts.models import Role
from cases.services.sensing import Detection, sensing_ingest, sensing_source_for_key
from cases.workflow import ACTIONS
from dispatch.models import Export, PublicFollow, token_digest
from tests.factories.facilities import facility_at
from tests.factories.sensing import sensing_source
from tests.fixtures.cases import jpeg_upload

EXAMPLES = int(os.environ.get("FUZZ_PAGE_EXAMPLES", "8"))
SKIPPED_PREFIXES = ("admin/", "api/", "i18n/", "media/", "^media/")
# Signing out would leave the rest of the run anonymous; anonymous requests are among the personas anyway.
SKIPPED_NAMES = {"logout"}
PERSONAS = (
    *("operator", "dispatcher", "shift_lead", "handler", "street_handler", "grid_worker", "leader", "assessor"),
    "outsider",
)
# Every parameter name a page or partial reads, plus the workflow's form fields.
PARAMETERS = [
    *("case", "before", "period", "kind", "day", "first", "last", "unit", "key", "indicator", "role", "scheme"),
    *("count", "level", "region", "format", "bbox", "q", "status", "category", "department", "source", "overdue"),
    *("light", "created_after", "created_before", "cursor", "queue", "page", "reply", "note", "reason", "hours"),
    *("lead_department", "assisting_departments", "assignee", "master", "filing_condition", "urgency", "passed"),
    *("reply_hours", "formal", "next", "username", "password", "size", "unread", "day_from", "day_to"),
    *("departments", "parts_missing"),
    *("channel", "work_order_number", "contact_name", "contact_phone", "callback_requested", "place_q", "place"),
    *("lon", "lat", "address", "category_q", "description", "submit"),
    *("email_work", "sms_overdue"),
    *("community",),
    # Open311 GeoReport v2
    *("jurisdiction_id", "service_code", "service_request_id", "start_date", "end_date", "page_size", "api_key"),
    *("long", "address_string", "address_id", "email", "device_id", "account_id", "first_name", "last_name"),
    *("phone", "media_url", "attribute[facility_code]"),
    *("month",),
    *("photo", "wants_updates", "wants_callback", "code", "satisfaction", "comment", "reached"),
    *("offence_code", "legal_basis", "circumstance", "fine", "deadline", "public", "feedback", "state", "lifted"),
    *("party_kind", "party_name", "credit_code", "id_number"),
    "after",
]
HOSTILE = [
    *("²", "١٢", "٣", "\x00", "a\x00b", "0\x00", "-1", "0", "99999999999999999999", "1e309", "NaN", "inf"),
    *("0001-01-01", "9999-12-31", "day:0001-01-01", "day:9999-12-31", "week:0001-01-01", "year:9999-01-01"),
    *("custom:0001-01-01:9999-12-31", "custom:2026-10-01:2026-09-01", "month:2026-10-01", "quarter:", "custom:"),
    *("181,91,-181,-91", "0,0,0,0", "114,23,115,24", "1,2,3", "nan,nan,nan,nan"),
    *("E0102", "E01", "4413", "441302", "441302001001", "unit", "handling", "city", "district", "true", "on", ""),
    *(" ", "%", "%00", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "𝟙𝟚", "x" * 3000),
]
# The classes of input behind past server errors: a Unicode digit that isdigit() accepts and int() refuses, a NUL
# byte (PostgreSQL refuses it in text), days outside the calendar's arithmetic, a number past bigint, a long text.
DANGEROUS = ["²", "a\x00b", "day:0001-01-01", "9999-12-31", "99999999999999999999", "x" * 3000]
ANSWER = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30), st.integers().map(str))


def _patterns(resolvers=None, prefix="", namespace=""):
    """(qualified name, route text, converters) of every page pattern, read from the URL configuration."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED_NAMES:
            converters = {name: kind or "str" for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)}
            yield f"{namespace}{entry.name}", route, converters


def _path_value(kind, known):
    """A value that the converter accepts: a real one of this database or any other."""
    hostile = {
        "int": st.one_of(st.integers(min_value=0, max_value=2**70), st.sampled_from(["0", "00"])),
        "slug": st.from_regex(r"\A[-a-zA-Z0-9_]{1,40}\Z"),
        "str": st.from_regex(r"\A[^/?#\x00-\x1f]{1,40}\Z"),
    }[kind]
    return st.one_of(st.sampled_from(known), hostile) if known else hostile


@pytest.fixture
def page_world(cases, personas, huizhou_departments):
    """Real ids and names for every path argument (a case, an order, a photo, actions, roles, region and department
    codes), so the fuzz reaches the code behind valid paths as well as the 404s."""
    from dispatch.services.orders import order_issue

    handling = cases.to("handling")
    fixed = cases.to("to_check")
    cases.report()
    order = order_issue(case_id=handling.pk, actor=personas["leader"], note="三天内清理完毕", reply_hours=8)
    photo = fixed.photos.first()
    # 协办 and 吹哨报到: a case the 桥东 street office assists, on which it summoned the city bureau.
    from dispatch.services.whistles import whistle_blow

    assisted = cases.act(
        cases.to("to_dispatch"), "dispatcher", "dispatch", lead_department=personas["handler_department"].code,
        assisting_departments=["street-441302001"],
    )  # fmt: skip
    whistle = whistle_blow(
        case_id=assisted.pk, actor=personas["street_handler"], departments=["city-water", "city-housing"], note="到场"
    )
    export = Export.objects.create(
        user=personas["dispatcher"], surface="command", format="csv", state="done", created_at=timezone.now()
    )
    export.file.save("cases.csv", ContentFile("\ufeff案卷编号\n".encode()))
    cover = facility_at(lon=cases.lon, lat=cases.lat, class_code="0101", owner="utility-water-supply")
    # The public portal's follow links: a closed case (its result's photo, its rating) and one in handling.
    closed = cases.to("closed")
    PublicFollow.objects.create(case=closed, token_digest=token_digest("fuzz-follow-closed"))
    PublicFollow.objects.create(case=handling, token_digest=token_digest("fuzz-follow"), wants_updates=True)
    result = closed.photos.filter(kind="after").first()
    # A detection below threshold waiting in 待核实, with a snapshot (another class than the cases').
    _source, key = sensing_source(owner=personas["handler_department"], classes=(("E0103", "0.9"),))
    waiting, _created = sensing_ingest(
        source=sensing_source_for_key(key),
        detection=Detection(
            external_id="fuzz-1", occurred_at=timezone.now(), class_code="E0103", confidence=Decimal("0.5"),
            lon=cases.lon, lat=cases.lat, attributes={}, snapshot=jpeg_upload(),
        ),
    )  # fmt: skip
    # An enforcement chain the 桥东 street office owes a part of (执法协作).
    from cases.models import EnforcementCase
    from cases.services.enforcement import enforcement_collaborate, enforcement_confirm
    from tests.factories.accounts import user_posted

    transferred = cases.act(
        cases.to("handling"), "handler", "transfer_to_enforcement", note="移送",
        enforcement_body="city-urban-enforcement", violation="占道经营",
    )  # fmt: skip
    chain = EnforcementCase.objects.get(source=transferred)
    enforcer = user_posted(username="p-fuzz-enforcer", role=Role.HANDLER, department=chain.body)
    enforcement_confirm(enforcement_id=chain.pk, actor=enforcer, offence_code="ZDJY")
    part = enforcement_collaborate(
        enforcement_id=chain.pk, actor=enforcer, department="street-441302001", request="协助"
    )
    return {
        "pk": [handling.pk, fixed.pk, photo.pk],
        "order_id": [order.pk],
        "summons_id": list(whistle.summonses.values_list("pk", flat=True)),
        "action": ["feedback", *sorted(ACTIONS)],
        "role": [*Role.values],
        "code": ["441302", "4413", "city-urban-management", personas["handler_department"].code],
        "fmt": ["csv", "xlsx"],
        # a tile of the offline base map (none in the tests: a 404, its parsing reached all the same)
        "z": [12],
        "x": [3345],
        "y": [1781],
        # The first value of each is what the pattern's own page expects.
        ("case-photo", "pk"): [photo.pk],
        ("case-photo-thumbnail", "pk"): [photo.pk],
        ("assessment:department", "code"): [personas["handler_department"].code],
        ("dept-whistle", "pk"): [assisted.pk],
        ("dept-summons-report", "pk"): [assisted.pk],
        ("export-status", "pk"): [export.pk],
        ("export-download", "pk"): [export.pk],
        ("facility-detail", "code"): [cover.code],
        ("facility-photo", "code"): [cover.code],
        # Open311: both formats, a service with attributes, a case number, a token.
        "format": ["json", "xml"],
        "service_code": ["C0101", "E0102"],
        "service_request_id": [handling.number],
        # Open311's tokens and the portal's follow tokens.
        "token": ["0" * 32, "fuzz-follow-closed", "fuzz-follow"],
        ("public-follow-photo", "pk"): [result.pk],
        ("public-follow-photo-thumbnail", "pk"): [result.pk],
        ("command-callback-record", "pk"): [closed.pk],
        ("command-callback-reopen", "pk"): [closed.pk],
        "decision": ["confirm", "dismiss", "verify"],
        ("command-sensing-decide", "pk"): [waiting.pk],
        ("command-sensing-snapshot", "pk"): [waiting.pk],
        ("enforcement-detail", "pk"): [chain.pk],
        ("enforcement-step", "pk"): [chain.pk],
        ("enforcement-part", "pk"): [part.pk],
        "step": ["decide", "collaborate", "list", "verify", "decline", "confirm", "party"],
        # Open311: any other path under /open311/v2/.
        "rest": ["no-such-resource.json", "services/x.xml"],
    }


def _admitted(clients, name, kwargs):
    """The first user (by name) a page lets in (200, or 405 for a form that only takes POST): one who reaches its
    parsing code. Asking stops there; what every role gets on every page is the permission matrix's job."""
    url = reverse(name, kwargs=kwargs)
    return next((who for who in sorted(clients) if clients[who].get(url).status_code in (200, 405)), "anonymous")


def _fuzz_pattern(name, converters, clients, world, sent):
    known = {arg: world.get((name, arg), world.get(arg, [])) for arg in converters}
    real = {arg: values[0] for arg, values in known.items()}
    admitted = _admitted(clients, name, real)

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @hypothesis.given(
        kwargs=st.fixed_dictionaries({arg: _path_value(kind, known[arg]) for arg, kind in converters.items()}),
        fields=st.dictionaries(st.sampled_from(PARAMETERS), ANSWER, max_size=8),
        who=st.sampled_from(sorted(clients)),
        method=st.sampled_from(["get", "post"]),
        htmx=st.booleans(),
    )
    def visit(kwargs, fields, who, method, htmx):
        url = reverse(name, kwargs=kwargs)
        headers = {"HX-Request": "true"} if htmx else {}
        response = getattr(clients[who], method)(url, fields, headers=headers)
        sent.append(response.status_code)
        assert response.status_code < 500, f"{method.upper()} {url} {fields!r} as {who}: {response.status_code}"

    # Each class of input that once broke a page, in every parameter at once, as a user the page lets in.
    for value in DANGEROUS:
        for method in ("get", "post"):
            visit = hypothesis.example(
                kwargs=real, fields=dict.fromkeys(PARAMETERS, value), who=admitted, method=method, htmx=False
            )(visit)
    visit()


@pytest.mark.slow
def test_no_page_answers_with_a_server_error(page_world, personas, assessor, settings, capsys):
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 0
    patterns = list(_patterns())
    clients = {"anonymous": Client()}
    for name in PERSONAS:
        clients[name] = Client()
        clients[name].force_login(assessor if name == "assessor" else personas[name])
    sent = []
    for name, _route, converters in patterns:
        _fuzz_pattern(name, converters, clients, page_world, sent)
    with capsys.disabled():
        print(f"\npage fuzz: {len(patterns)} URL patterns, {len(sent)} requests, 0 server errors")
    assert len(patterns) >= 30
