# ruff: noqa: E501 - the matrix is a table: one URL, one line, one column per role.
"""Every URL × every role × a case inside and one outside the role's scope → the expected status, in one table.

The URLs come from the URL configuration itself (admin excluded; no route serves static files or media), so a
new URL fails `test_every_url_is_classified_and_every_row_is_a_url` until it has a row in MATRIX. HOW says how
the matrix asks a URL where a plain GET will not do: a URL that only writes gets a POST with valid input, so a
permitted role succeeds and every other one meets its refusal; each request runs in a transaction that is rolled
back, so no answer depends on another. URL parameters take the objects of one of two sides:

- the two sides are 惠城区 (a case in 东湖社区, 桥东街道, led by the city's urban-management bureau with the
  桥东 street office assisting) and 惠阳区 (a case in 淡水街道 led by the 淡水 street office); each side has a
  photo, a supervision order and a notification, and the regions, departments and figure lists of its district;
- a cell is one status for both sides ("200") or "惠城/惠阳" ("200/404"); "login" is a 302 to the sign-in page,
  a plain 302 is a successful form post (or a page sending the user home); 401 is the API asking for credentials.

Which side is inside depends on the role: city-level roles see both, the grid worker, the district dispatcher and
the street handler only 惠城区, the outsider (a 惠阳区 dispatcher) only 惠阳区. Out of scope is 404, a page the role
does not work on is 403 (DOMAIN.md §3, STYLE.md "Errors").
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Role
from assessment.periods import span_containing
from assessment.services import assessment_freeze
from cases.models import CaseEvent, EnforcementCase, Source
from cases.services.enforcement import enforcement_collaborate, enforcement_confirm
from cases.services.sensing import Detection, sensing_ingest, sensing_source_for_key
from dispatch.models import Export, Notification, PublicFollow, ResponsibilityRule, token_digest
from dispatch.services.orders import order_issue
from dispatch.services.whistles import whistle_blow
from grids.models import Department, Region
from grids.services.patrols import patrol_start
from grids.services.unit_grids import unit_grids_generate
from tests.factories.accounts import user_posted
from tests.factories.facilities import facility_at
from tests.factories.sensing import sensing_source
from tests.fixtures.cases import jpeg_upload
from tests.fixtures.grid import DANSHUI, HUICHENG, HUIYANG, QIAODONG, QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "grid_worker",
    "operator",
    "shift_lead",
    "dispatcher",
    "district_dispatcher",
    "handler",
    "street_handler",
    "leader",
    "assessor",
    "outsider",
)
SIDES = ("huicheng", "huiyang")
EXCLUDED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Ask:
    """How the matrix requests a URL: method, which URL parameters take which object of a side, query, body."""

    method: str = "GET"
    params: dict = field(default_factory=dict)
    query: str = ""
    data: dict = field(default_factory=dict)


def expected(cells):
    """{role: {side: status}} from a row of MATRIX."""
    cells = cells.split()
    assert len(cells) == len(ROLES), f"{len(cells)} cells for {len(ROLES)} roles"
    return {role: _sides(cell) for role, cell in zip(ROLES, cells, strict=True)}


def _sides(cell):
    values = cell.split("/")
    assert len(values) in (1, 2), cell
    return dict(zip(SIDES, values * 2 if len(values) == 1 else values, strict=True))


P = "?period=custom:2026-01-01:2035-12-31"
BOX = "?bbox=113.8,22.5,115.5,23.9"  # the whole city
CASE = {"pk": "case"}
# Valid input, so that a permitted role succeeds (and the rollback undoes it) and the others meet the refusal.
EXTENSION = {"action": "request_extension", "hours": "8", "note": "需要调配机械"}
VOID = {"note": "重复上报"}
ORDER = {"note": "限期整改", "reply_hours": "8"}
REPLY = {"reply": "已整改完毕"}
WHISTLE = {"note": "请到场会商", "departments": ["city-water"]}
REPORT = {"note": "已派员到场"}
DECLINE = {"step": "decline", "note": "不属于本单位管辖"}
TRACK = {"points[0]recorded_at": "{recorded}", "points[0]lon": "{lon}", "points[0]lat": "{lat}"}
# A 12345 call placed on the side's own case point ("{lon}" and "{lat}" take the side's values).
INTAKE = {
    "channel": "hotline_12345", "work_order_number": "GD-MATRIX-1", "lon": "{lon}", "lat": "{lat}",
    "category": "E0102", "description": "路边暴露垃圾", "contact_phone": "13812345678", "submit": "save",
}  # fmt: skip

# fmt: off
# One row per URL, one cell per role (ROLES' order); see the module docstring for how to read a cell.
# The table is wider than the line limit on purpose: one URL, one line.
#                                 anon.   grid    operat. shift   dispat. distr.  handler street  leader  assess. outsider
MATRIX = {
    "healthz":                   "200     200     200     200     200     200     200     200     200     200     200",
    "set_language":              "302     302     302     302     302     302     302     302     302     302     302",
    "login":                     "200     200     200     200     200     200     200     200     200     200     200",
    "logout":                    "login   login   login   login   login   login   login   login   login   login   login",
    "home":                      "login   200     200     200     200     200     200     200     200     200     200",
    # The API: its schema and docs are public; everything else needs a session or a token.
    "schema":                    "200     200     200     200     200     200     200     200     200     200     200",
    "api-docs":                  "200     200     200     200     200     200     200     200     200     200     200",
    "api-token":                 "400     400     400     400     400     400     400     400     400     400     400",
    "api-region-list":           "401     200     200     200     200     200     200     200     200     200     200",
    "api-region-locate":         "401     400     400     400     400     400     400     400     400     400     400",
    "api-region-detail":         "401     404     200     200     200     200/404 200     404     200     200     404/200",
    "case-list":                 "401     200     200     200     200     200     200     200     200     200     200",
    "case-detail":               "401     200/404 200     200     200     200/404 200/404 200/404 200     200     404/200",
    "case-transitions":          "401     403/404 403     403     403     403/404 200/404 403/404 403     403     404/403",
    "api-category-list":         "401     200     200     200     200     200     200     200     200     200     200",
    # Data sharing: reads in scope for every signed-in user, writes for administrators only (no role here is one).
    "api-category-detail":       "401     200     200     200     200     200     200     200     200     200     200",
    "api-calendar-list":         "401     200     200     200     200     200     200     200     200     200     200",
    "api-calendar-year":         "401     403     403     403     403     403     403     403     403     403     403",
    "api-region-geojson":        "401     200     200     200     200     200     200     200     200     200     200",
    "api-department-list":       "401     200     200     200     200     200     200     200     200     200     200",
    "api-department-detail":     "401     200/404 200     200     200     200/404 200     200/404 200     200     404/200",
    "api-responsibility-list":   "401     403     403     403     403     403     403     403     403     403     403",
    "api-responsibility-detail": "401     200/404 200     200     200     200/404 200     200/404 200     200     404/200",
    # Published scores: the dashboard's readers in their scope, a handler for its own department (惠城: 桥东 office).
    "api-score-list":            "401     403     403     403     403     403     404     200/404 200     200     403",
    "api-score-periods":         "401     403     403     403     403     403     200     200     200     200     403",
    "api-dispatch-queue":        "401     403     403     403     200     200     403     403     403     403     200",
    "api-case-routing":          "401     200/404 200     200     200     200/404 200/404 200/404 200     200     404/200",
    "api-case-orders":           "401     403/404 403     403     403     403/404 403/404 403/404 201     403     404/403",
    "api-order-list":            "401     200     200     200     200     200     200     200     200     200     200",
    "api-order-detail":          "401     200/404 200     200     200     200/404 200/404 200/404 200     200     404/200",
    "api-order-reply":           "401     403/404 403     403     403     403/404 200/404 403/404 403     403     404/403",
    "api-order-withdraw":        "401     403/404 403     403     403     403/404 403/404 403/404 200     403     404/403",
    "api-case-whistles":         "401     403/404 403     403     403     403/404 403/404 201/404 403     403     404/403",
    "api-summons-report":        "401     403/404 403     403     403     403/404 200/404 403/404 403     403     404/403",
    "api-notification-list":     "401     200     200     200     200     200     200     200     200     200     200",
    "api-notification-read-all": "401     200     200     200     200     200     200     200     200     200     200",
    "api-notification-read":     "401     404     404     404     404     404     200/404 404     404     404     404/200",
    "api-event-feed":            "401     200     200     200     200     200     200     200     200     200     200",
    # The enforcement chain: in the source case's grid, and for the body, the source's lead department and the
    # collaborating ones (惠城: the 桥东 office owes a part); only the enforcement body (no persona here) takes steps.
    "api-enforcement-list":      "401     200     200     200     200     200     200     200     200     200     200",
    "api-enforcement-detail":    "401     200/404 200     200     200     200/404 200/404 200/404 200     200     404/200",
    "api-enforcement-steps":     "401     403/404 403     403     403     403/404 403/404 403/404 403     403     404/403",
    "api-enforcement-part-give": "401     404     404     404     404     404     404     200/404 404     404     404",
    "api-discretion-standards":  "401     200     200     200     200     200     200     200     200     200     200",
    # The facility inventory: as far as the grid the facility stands in (and for its owner's people).
    "api-facility-nearby":       "401     200     200     200     200     200     200     200     200     200     200",
    "api-facility-detail":       "401     200/404 200     200     200     200/404 200     200/404 200     200     404/200",
    # Sensing intake answers a source's key only: a person's session or token is not a key (401 for everyone).
    "api-sensing-events":        "401     401     401     401     401     401     401     401     401     401     401",
    "api-sensing-event":         "401     401     401     401     401     401     401     401     401     401     401",
    # The phone.
    "mobile-report":             "login   200     403     403     403     403     403     403     403     403     403",
    "mobile-tasks":              "login   200     403     403     403     403     403     403     403     403     403",
    "mobile-reports":            "login   200     403     403     403     403     403     403     403     403     403",
    "mobile-patrols":            "login   200     403     403     403     403     403     403     403     403     403",
    # Patrols: only grid workers go on patrol; a patrol is its worker's alone (惠城: the grid worker's, 惠阳: another's).
    "api-patrol-start":          "401     201     403     403     403     403     403     403     403     403     403",
    "api-patrol-track":          "401     200/404 404     404     404     404     404     404     404     404     404",
    "api-patrol-end":            "401     200/404 404     404     404     404     404     404     404     404     404",
    "mobile-sw":                 "200     200     200     200     200     200     200     200     200     200     200",
    "mobile-manifest":           "200     200     200     200     200     200     200     200     200     200     200",
    # The command centre and its partials.
    "command-centre":            "login   302     200     200     200     200     302     302     200     302     200",
    # The intake desk: operators and shift leads; a case is placed on each side's own point (惠城/惠阳).
    "command-intake":            "login   403     302     302     403     403     403     403     403     403     403",
    "command-intake-categories": "login   403     200     200     403     403     403     403     403     403     403",
    "command-intake-places":     "login   403     200     200     403     403     403     403     403     403     403",
    "command-intake-check":      "login   403     200     200     403     403     403     403     403     403     403",
    # 多网合一: a community's unit grids and the networks' patrol areas, for the command roles in their scope.
    "command-grid":              "login   302     200     200     200     200/404 302     302     200     302     404/200",
    "command-cases":             "login   403     200     200     200     200     403     403     200     403     200",
    "command-counts":            "login   403     200     200     200     200     403     403     200     403     200",
    "command-map-cases":         "login   403     200     200     200     200     403     403     200     403     200",
    "command-map-grids":         "login   403     200     200     200     200     403     403     200     403     200",
    # Who is on duty where: the roster and the workers on patrol of the viewer's grids.
    "command-duty":              "login   302     200     200     200     200     302     302     200     302     200",
    "command-map-patrols":       "login   403     200     200     200     200     403     403     200     403     200",
    # 待核实 of sensing: the desk (operators, shift leads) confirms detections below threshold of its grids.
    "command-sensing":           "login   302     200     200     302     302     302     302     302     302     302",
    "command-sensing-decide":    "login   403     302     302     403     403     403     403     403     403     403",
    "command-sensing-snapshot":  "login   403     200     200     403     403     403     403     403     403     403",
    "command-map-facilities":    "login   403     200     200     200     200     403     403     200     403     200",
    "command-panel":             "login   403     200     200     200     200/404 403     403     200     403     404/200",
    "command-act":               "login   403     302     403     302     302/404 403     403     403     403     404/302",
    "command-order-issue":       "login   403     403     403     403     403/404 403     403     302     403     404/403",
    # Exports of the list: the tab and filters in the user's scope (a region outside it: sent back with a message).
    "command-export":            "login   302     200     200     200     200/302 302     302     200     302     302/200",
    # 回访: the call-back queue is the operators' (the cases are not closed: a record or a reopening is refused
    # with a message, 302 back to the queue).
    "command-callbacks":         "login   302     200     302     302     302     302     302     302     302     302",
    "command-callback-record":   "login   403     302     403     403     403     403     403     403     403     403",
    "command-callback-reopen":   "login   403     302     403     403     403     403     403     403     403     403",
    # The department workspace.
    "dept-workspace":            "login   302     302     302     302     302     200     200     302     302     302",
    "dept-board":                "login   403     403     403     403     403     200     200     403     403     403",
    "dept-panel":                "login   403     403     403     403     403     200/404 200/404 403     403     403",
    "dept-act":                  "login   403     403     403     403     403     302/404 403/404 403     403     403",
    "dept-order-reply":          "login   403     403     403     403     403     302/404 403/404 403     403     403",
    # 吹哨报到: the street office working the case blows the whistle; the summoned department (the city bureau
    # in 惠城区, the water bureau in 惠阳区) reports.
    "dept-whistle":              "login   403     403     403     403     403     403/404 302/404 403     403     403",
    "dept-summons-report":       "login   403     403     403     403     403     302/404 403/404 403     403     403",
    # The enforcement pages: command roles and handlers; a chain as far as the API shows it.
    "enforcement-list":          "login   302     200     200     200     200     200     200     200     302     200",
    "enforcement-listings":      "login   302     200     200     200     200     200     200     200     302     200",
    # The credit register (管理征信): leaders and law-enforcement units only.
    "enforcement-credit":        "login   302     403     403     403     403     403     403     200     302     403",
    "enforcement-detail":        "login   302     200     200     200     200/404 200/404 200/404 200     302     404/200",
    "enforcement-step":          "login   403     403     403     403     403/404 403/404 403/404 403     403     404/403",
    "enforcement-evidence":      "login   403     403     403     403     403/404 403/404 403/404 403     403     404/403",
    "enforcement-part":          "login   403     404     404     404     404     404     302/404 404     403     404",
    # The inbox: every signed-in user has their own; a notification is only its owner's.
    "inbox":                     "login   200     200     200     200     200     200     200     200     200     200",
    "inbox-count":               "login   200     200     200     200     200     200     200     200     200     200",
    "live-events":               "login   200     200     200     200     200     200     200     200     200     200",
    "inbox-read-all":            "login   302     302     302     302     302     302     302     302     302     302",
    "inbox-settings":            "login   200     200     200     200     200     200     200     200     200     200",
    "inbox-open":                "login   404     404     404     404     404     302/404 404     404     404     404/302",
    "inbox-read":                "login   404     404     404     404     404     302/404 404     404     404     404/302",
    "dept-export":               "login   302     302     302     302     302     200     200     302     302     302",
    # The user's own export jobs: anyone else's is absent.
    "export-list":               "login   302     200     200     200     200     200     200     200     302     200",
    "export-status":             "login   403     404     404     404     404     200/404 404     404     403     404/200",
    "export-download":           "login   403     404     404     404     404     200/404 404     404     403     404/200",
    # Photos: as private as their case.
    "case-photo":                "login   200/404 200     200     200     200/404 200/404 200/404 200     200     404/200",
    "case-photo-thumbnail":      "login   200/404 200     200     200     200/404 200/404 200/404 200     200     404/200",
    "map-tile":                  "login   404     404     404     404     404     404     404     404     404     404",
    # A facility's page and photo: whoever works over its grid (404 outside, like a case).
    "facility-detail":           "login   200/404 200     200     200     200/404 200     200/404 200     200     404/200",
    "facility-photo":            "login   200/404 200     200     200     200/404 200     200/404 200     200     404/200",
    # Assessment: pages, figure lists, exports.
    "assessment:dashboard":      "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:department":     "login   404     404     404     404     404     404     200/404 200     200     404",
    "assessment:region":         "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:posts":          "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:cases":          "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:export":         "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:bulletin":       "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:map":            "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:map-data":       "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:map-scores":     "login   403     403     403     403     403     403     403     200     200     403",
    "assessment:explain":        "login   403     403     403     403     403     403     403     200     200     403",
    # The big screen: the command centre's people, over their own city or district (惠城/惠阳 narrows to a district).
    "screen":                    "login   302     200     200     200     200/404 302     302     200     302     404/200",
    "screen-data":               "login   403     200     200     200     200/404 403     403     200     403     404/200",
    "screen-grid":               "login   403     200     200     200     200/404 403     403     200     403     404/200",
    # The public portal: no login. The follow link is its token (a wrong one is 404); the sides' cases are in
    # handling, so a code check finds no code (400), a new code no phone (302 with a message), a rating is too
    # early (409), and the case's photo is of the problem, not of the result (404).
    "public-home":               "200     200     200     200     200     200     200     200     200     200     200",
    "public-report":             "200     200     200     200     200     200     200     200     200     200     200",
    "public-follow":             "200     200     200     200     200     200     200     200     200     200     200",
    "public-follow-code":        "400     400     400     400     400     400     400     400     400     400     400",
    "public-follow-code-resend": "302     302     302     302     302     302     302     302     302     302     302",
    "public-follow-rate":         "409     409     409     409     409     409     409     409     409     409     409",
    "public-follow-photo":       "404     404     404     404     404     404     404     404     404     404     404",
    "public-follow-photo-thumbnail": "404 404     404     404     404     404     404     404     404     404     404",
    # The rules everyone is scored by are open to every signed-in user.
    "assessment:schemes":        "login   200     200     200     200     200     200     200     200     200     200",
    # Open311 GeoReport v2: reading is open to everyone; POSTing a request needs a client system's api_key, which
    # no session replaces (the row POSTs without one).
    "open311-discovery":         "200     200     200     200     200     200     200     200     200     200     200",
    "open311-services":          "200     200     200     200     200     200     200     200     200     200     200",
    "open311-service":           "200     200     200     200     200     200     200     200     200     200     200",
    "open311-requests":          "403     403     403     403     403     403     403     403     403     403     403",
    "open311-request":           "200     200     200     200     200     200     200     200     200     200     200",
    "open311-token":             "404     404     404     404     404     404     404     404     404     404     404",
    "open311-unknown":           "404     404     404     404     404     404     404     404     404     404     404",
    # The public transparency page: no sign-in, nothing personal.
    "transparency":              "200     200     200     200     200     200     200     200     200     200     200",
    "transparency-data":         "200     200     200     200     200     200     200     200     200     200     200",
}

# How the matrix asks each URL, where it is not a plain GET without parameters.
HOW = {
    "set_language":              Ask("POST"),
    "logout":                    Ask("POST"),
    "api-token":                 Ask("POST"),
    "api-region-detail":         Ask("GET", params={"code": "district"}),
    "case-detail":               Ask("GET", params=CASE),
    "case-transitions":          Ask("POST", params=CASE, data=EXTENSION),
    "api-case-routing":          Ask("GET", params=CASE),
    "api-case-orders":           Ask("POST", params={"case_id": "case"}, data=ORDER),
    "api-order-detail":          Ask("GET", params={"pk": "order"}),
    "api-order-reply":           Ask("POST", params={"pk": "order"}, data=REPLY),
    "api-order-withdraw":        Ask("POST", params={"pk": "order"}),
    "api-case-whistles":         Ask("POST", params={"case_id": "case"}, data=WHISTLE),
    "api-summons-report":        Ask("POST", params={"pk": "summons"}, data=REPORT),
    "api-enforcement-detail":    Ask("GET", params={"pk": "enforcement"}),
    "api-enforcement-steps":     Ask("POST", params={"pk": "enforcement"}, data=DECLINE),
    "api-enforcement-part-give": Ask("POST", params={"pk": "part"}, data={"feedback": "已协助劝离"}),
    "enforcement-detail":        Ask("GET", params={"pk": "enforcement"}),
    "enforcement-step":          Ask("POST", params={"pk": "enforcement", "step": "decline"}, data={"note": "不属于本单位管辖"}),
    "enforcement-evidence":      Ask("POST", params={"pk": "enforcement"}, data={"note": "现场照片"}),
    "enforcement-part":          Ask("POST", params={"pk": "part"}, data={"feedback": "已协助劝离"}),
    "api-notification-read-all": Ask("POST"),
    "api-notification-read":     Ask("POST", params={"pk": "notification"}),
    "command-intake":            Ask("POST", data=INTAKE),
    "command-intake-categories": Ask("GET", query="?category_q=blj"),
    "command-intake-places":     Ask("GET", query="?place_q={place}"),
    "command-intake-check":      Ask("GET", query="?lon={lon}&lat={lat}&category=E0102"),
    "command-grid":              Ask("GET", query="?community={community}"),
    "command-map-cases":         Ask("GET", query=BOX),
    "command-duty":              Ask("GET", query="?day={today}"),
    "api-patrol-start":          Ask("POST", data={"client_id": "5d0c64f4-52a4-4e55-9a4c-3f7f0a4a8c11", "lon": "{lon}", "lat": "{lat}"}),
    "api-patrol-track":          Ask("POST", params={"client_id": "patrol"}, data=TRACK),
    "api-patrol-end":            Ask("POST", params={"client_id": "patrol"}),
    "command-map-grids":         Ask("GET", query=BOX),
    "api-sensing-events":        Ask("POST", data={"event_id": "m-1", "time": "2026-01-05T10:00:00+08:00", "class_code": "E0102", "confidence": "0.9", "lon": "{lon}", "lat": "{lat}"}),
    "api-sensing-event":         Ask("GET", params={"event_id": "sensing_external_id"}),
    "command-sensing-decide":    Ask("POST", params={"pk": "sensing_event", "decision": "confirm"}),
    "command-sensing-snapshot":  Ask("GET", params={"pk": "sensing_event"}),
    "command-map-facilities":    Ask("GET", query=BOX),
    "api-facility-nearby":       Ask("GET", query="?lon={lon}&lat={lat}&class_code=0101"),
    "api-facility-detail":       Ask("GET", params={"code": "facility"}),
    "facility-detail":           Ask("GET", params={"code": "facility"}),
    "facility-photo":            Ask("GET", params={"code": "facility"}),
    "command-panel":             Ask("GET", params=CASE),
    "command-act":               Ask("POST", params={**CASE, "action": "request_void"}, data=VOID),
    "command-order-issue":       Ask("POST", params=CASE, data=ORDER),
    "command-export":            Ask("GET", query="?format=csv&region={district}"),
    "dept-export":               Ask("GET", query="?format=csv"),
    "export-status":             Ask("GET", params={"pk": "export"}),
    "export-download":           Ask("GET", params={"pk": "export"}),
    "dept-panel":                Ask("GET", params=CASE),
    "dept-act":                  Ask("POST", params={**CASE, "action": "request_extension"}, data=EXTENSION),
    "dept-order-reply":          Ask("POST", params={**CASE, "order_id": "order"}, data=REPLY),
    "dept-whistle":              Ask("POST", params=CASE, data=WHISTLE),
    "dept-summons-report":       Ask("POST", params={**CASE, "summons_id": "summons"}, data=REPORT),
    "inbox-read-all":            Ask("POST"),
    "inbox-open":                Ask("GET", params={"pk": "notification"}),
    "inbox-read":                Ask("POST", params={"pk": "notification"}),
    "case-photo":                Ask("GET", params={"pk": "photo"}),
    "case-photo-thumbnail":      Ask("GET", params={"pk": "photo"}),
    "map-tile":                  Ask("GET", params={"z": 0, "x": 0, "y": 0}),  # no tile package in the tests
    "assessment:dashboard":      Ask("GET", query=P),
    "assessment:department":     Ask("GET", params={"code": "department"}, query=P),
    "assessment:region":         Ask("GET", params={"code": "district"}, query=P),
    "assessment:posts":          Ask("GET", params={"role": "dispatcher"}, query=P),
    "assessment:cases":          Ask("GET", query=P + "&indicator=filed&unit=region&key={district}"),
    "assessment:export":         Ask("GET", params={"fmt": "csv"}, query=P),
    "assessment:bulletin":       Ask("GET", query=P),
    "assessment:map":            Ask("GET", query=P),
    "assessment:map-data":       Ask("GET", query=P + "&region={district}"),
    "assessment:map-scores":     Ask("GET", query=P + "&region={district}"),
    "assessment:explain":        Ask("GET", query=P + "&indicator=filed&unit=region&key={district}"),
    "assessment:schemes":        Ask("GET"),
    "open311-discovery":         Ask("GET", params={"format": "json"}),
    "open311-services":          Ask("GET", params={"format": "xml"}),
    "open311-service":           Ask("GET", params={"service_code": "C0101", "format": "json"}),
    "open311-requests":          Ask("POST", params={"format": "json"}, data={"service_code": "E0102", "lat": "{lat}", "long": "{lon}"}),
    "open311-request":           Ask("GET", params={"service_request_id": "number", "format": "xml"}),
    "open311-token":             Ask("GET", params={"token": "no-such-token", "format": "json"}),
    "open311-unknown":           Ask("GET", params={"rest": "foo.json"}),
    "screen":                    Ask("GET", query="?region={district}"),
    "screen-data":               Ask("GET", query="?region={district}"),
    "screen-grid":               Ask("GET", query="?region={district}"),
    "api-category-detail":       Ask("GET", params={"code": "E0102"}),
    "api-calendar-year":         Ask("PUT", params={"year": 2031}, data={"days": []}),
    "api-region-geojson":        Ask("GET", query="?level=district"),
    "api-department-detail":     Ask("GET", params={"code": "department"}),
    "api-responsibility-list":   Ask("POST", data={"category": "E0104", "region": "{district}", "lead_department": "city-urban-management"}),
    "api-responsibility-detail": Ask("GET", params={"pk": "rule"}),
    "api-score-list":            Ask("GET", query="?unit={department}"),
    "command-callback-record":   Ask("POST", params=CASE, data={"reached": "no"}),
    "command-callback-reopen":   Ask("POST", params=CASE, data={"note": "居民不满意"}),
    "public-follow":             Ask("GET", params={"token": "token"}),
    "public-follow-code":        Ask("POST", params={"token": "token"}, data={"code": "123456"}),
    "public-follow-code-resend": Ask("POST", params={"token": "token"}),
    "public-follow-rate":        Ask("POST", params={"token": "token"}, data={"satisfaction": "satisfied"}),
    "public-follow-photo":       Ask("GET", params={"token": "token", "pk": "photo"}),
    "public-follow-photo-thumbnail": Ask("GET", params={"token": "token", "pk": "photo"}),
}
# fmt: on


def url_names():
    """Every named URL of the site outside the admin, with its namespace: what the matrix must classify."""

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in EXCLUDED_NAMESPACES:
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"an unnamed URL cannot be classified: {pattern.pattern}"
                yield namespace + pattern.name

    return sorted(set(walk(get_resolver().url_patterns, "")))


def test_every_url_is_classified_and_every_row_is_a_url():
    names = url_names()
    missing = [n for n in names if n not in MATRIX]
    assert not missing, f"classify it: add a row to MATRIX (and HOW) for {missing}"
    assert sorted(set(MATRIX) - set(names)) == [], "a row of MATRIX names no URL"
    assert sorted(set(HOW) - set(MATRIX)) == [], "HOW names a URL that MATRIX does not classify"
    for cells in MATRIX.values():
        expected(cells)


def test_no_url_serves_static_files_or_media():
    prefixes = (settings.STATIC_URL.lstrip("/"), settings.MEDIA_URL.lstrip("/"))
    routes = [str(p.pattern) for p in get_resolver().url_patterns]
    assert [r for r in routes if r.lstrip("^").startswith(prefixes)] == []


class Sides:
    """The objects of 惠城区 and 惠阳区 the URL parameters take."""

    def __init__(self, cases, personas, leader):
        city_bureau = personas["handler_department"]
        qiaodong_office = Department.objects.get(code=f"street-{QIAODONG}")
        danshui_office = Department.objects.get(code=f"street-{DANSHUI}")
        huicheng = cases.report(photos=[jpeg_upload()])
        huicheng = cases.to("to_dispatch", case=huicheng)
        huicheng = cases.act(
            huicheng, "dispatcher", "dispatch", lead_department=city_bureau.code,
            assisting_departments=[qiaodong_office.code],
        )  # fmt: skip
        danshui = Region.objects.filter(parent__code=DANSHUI).order_by("code").first()
        # Unit grids on both sides (large cells: only their pages are asked for).
        for community in (QIAODONG_COMMUNITY, danshui.code):
            unit_grids_generate(community_code=community, size_m=500)
        point = Region.objects.get(pk=danshui.pk).geom.point_on_surface
        huiyang = cases.report(
            actor=personas["operator"], source=Source.HOTLINE_12345, lon=point.x, lat=point.y, address="惠阳区淡水街道",
            photos=[jpeg_upload()],
        )  # fmt: skip
        huiyang = cases.to("to_dispatch", case=huiyang)
        huiyang = cases.act(huiyang, "dispatcher", "dispatch", lead_department=danshui_office.code)
        assert huicheng.region_path.startswith(f"/4413/{HUICHENG}/{QIAODONG}/{QIAODONG_COMMUNITY}/")
        assert huiyang.region_path.startswith(f"/4413/{HUIYANG}/")
        # The whistles: 桥东 (assisting) summons the city bureau, 淡水 (leading) the water bureau.
        danshui_handler = user_posted(username="p-danshui-handler", role=Role.HANDLER, department=danshui_office)
        summoned = {
            "huicheng": whistle_blow(
                case_id=huicheng.pk, actor=personas["street_handler"], departments=[city_bureau.code], note="到场"
            ),
            "huiyang": whistle_blow(case_id=huiyang.pk, actor=danshui_handler, departments=["city-water"], note="到场"),
        }
        # Patrols on each side: the grid worker's in 惠城区, a 惠阳区 grid worker's there.
        huiyang_worker = user_posted(username="p-danshui-grid", role=Role.GRID_WORKER, region=danshui)
        started = timezone.now() - timedelta(hours=1)
        patrols = {
            side: patrol_start(user=worker, client_id=uuid.uuid4(), started_at=started)[0]
            for side, worker in (("huicheng", personas["grid_worker"]), ("huiyang", huiyang_worker))
        }
        # A rule of the responsibility list in each district, and last month frozen (its scores are published).
        rules = {
            side: ResponsibilityRule.objects.create(
                category=case.category, region=Region.objects.defer("geom").get(code=district), lead_department=office
            )
            for side, case, district, office in (
                ("huicheng", huicheng, HUICHENG, qiaodong_office),
                ("huiyang", huiyang, HUIYANG, danshui_office),
            )
        }
        assessment_freeze(span=span_containing("month", timezone.localdate()).previous())
        # A detection below threshold waiting in each side's 待核实, with a snapshot (another class than the cases').
        _source, key = sensing_source(owner=city_bureau, classes=(("E0103", "0.9"),))
        waiting = {
            side: sensing_ingest(
                source=sensing_source_for_key(key),
                detection=Detection(
                    external_id=f"matrix-{side}", occurred_at=timezone.now(), class_code="E0103",
                    confidence=Decimal("0.5"), lon=case.point.x, lat=case.point.y, attributes={},
                    snapshot=jpeg_upload(),
                ),
            )[0]
            for side, case in (("huicheng", huicheng), ("huiyang", huiyang))
        }  # fmt: skip
        # An enforcement chain on each side, confirmed, owing a part to the side's street office.
        enforcer = user_posted(
            username="p-matrix-enforcer",
            role=Role.HANDLER,
            department=Department.objects.get(code="city-urban-enforcement"),
        )
        parts = {}
        for side, case, office in (("huicheng", huicheng, qiaodong_office), ("huiyang", huiyang, danshui_office)):
            cases.act(
                case,
                "dispatcher",
                "transfer_to_enforcement",
                note="移送",
                enforcement_body="city-urban-enforcement",
                violation="占道经营",
            )
            chain = EnforcementCase.objects.get(source=case)
            enforcement_confirm(enforcement_id=chain.pk, actor=enforcer, offence_code="ZDJY")
            parts[side] = enforcement_collaborate(
                enforcement_id=chain.pk, actor=enforcer, department=office, request="协助"
            )
        self.objects = {}
        for side, case, department, district, reader in (
            ("huicheng", huicheng, qiaodong_office, HUICHENG, personas["handler"]),
            ("huiyang", huiyang, danshui_office, HUIYANG, personas["outsider"]),
        ):
            order = order_issue(case_id=case.pk, actor=leader, note="限期整改", reply_hours=8)
            event = CaseEvent.objects.filter(case=case).latest("id")
            notification = Notification.objects.create(user=reader, kind="work", case=case, event=event, title="新案件")
            export = Export.objects.create(
                user=reader, surface="command", format="csv", state="done", created_at=timezone.now(), rows_total=1
            )
            export.file.save("cases.csv", ContentFile("\ufeff案卷编号\n".encode()))
            facility = facility_at(lon=case.point.x, lat=case.point.y, class_code="0101", code=f"MATRIX-{side}")
            facility.photo.save("cover.jpg", jpeg_upload())
            self.objects[side] = {
                "lon": f"{case.point.x:.6f}",
                "lat": f"{case.point.y:.6f}",
                "place": Region.objects.get(code=district).name,
                "case": case.pk,
                "number": case.number,
                "photo": case.photos.get().pk,
                "order": order.pk,
                "notification": notification.pk,
                "export": export.pk,
                "district": district,
                "community": case.region_path.split("/")[4],
                "department": department.code,
                "summons": summoned[side].summonses.get().pk,
                "patrol": patrols[side].client_id,
                "recorded": (timezone.now() - timedelta(minutes=5)).isoformat(),
                "today": timezone.localdate().isoformat(),
                "facility": facility.code,
                "rule": rules[side].pk,
                "token": f"matrix-follow-{side}",
                "sensing_event": waiting[side].pk,
                "enforcement": parts[side].enforcement_id,
                "part": parts[side].pk,
                "sensing_external_id": waiting[side].external_id,
            }
            PublicFollow.objects.create(case=case, token_digest=token_digest(f"matrix-follow-{side}"))

    def data(self, ask, side):
        objects = self.objects[side]
        return {key: value.format(**objects) if isinstance(value, str) else value for key, value in ask.data.items()}

    def url(self, name, ask, side):
        objects = self.objects[side]
        kwargs = {param: objects.get(key, key) for param, key in ask.params.items()}
        return reverse(name, kwargs=kwargs) + ask.query.format(**objects)


def _answer(client, ask, url, data):
    """The status as the matrix spells it; the request's writes are rolled back, so rows do not affect each other."""
    with transaction.atomic():
        if ask.method in ("GET", "POST"):
            response = client.get(url) if ask.method == "GET" else client.post(url, data)
        else:
            response = getattr(client, ask.method.lower())(url, data, content_type="application/json")
        transaction.set_rollback(True)
    if response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL)):
        return "login"
    return str(response.status_code)


def _cell(answers):
    return answers["huicheng"] if answers["huicheng"] == answers["huiyang"] else "/".join(answers.values())


@pytest.mark.slow
def test_every_url_answers_every_role_inside_and_outside_its_scope_as_the_matrix_says(
    cases, personas, assessor, capsys, settings
):
    # Every client posts from the same address: the public portal's per-address limit must not be what answers.
    settings.PUBLIC_POSTS_PER_ADDRESS_MINUTE = 10_000
    people = {**personas, "assessor": assessor}
    sides = Sides(cases, personas, people["leader"])
    clients = {}
    for role in ROLES:
        clients[role] = Client(HTTP_ACCEPT_LANGUAGE="en")
        if role != "anonymous":
            clients[role].force_login(people[role])
    wrong = []
    for name, cells in MATRIX.items():
        ask, want = HOW.get(name, Ask()), expected(cells)
        got = {}
        for role in ROLES:
            got[role] = {
                side: _answer(clients[role], ask, sides.url(name, ask, side), sides.data(ask, side)) for side in SIDES
            }
            if role != "anonymous" and "_auth_user_id" not in clients[role].session:
                clients[role].force_login(people[role])  # signing out ends a session the rollback cannot restore
        if got != want:
            differences = [f"{r}: {_cell(got[r])} (expected {_cell(want[r])})" for r in ROLES if got[r] != want[r]]
            wrong.append(f"{name}: {', '.join(differences)}\n    got {' '.join(_cell(got[r]) for r in ROLES)}")
    with capsys.disabled():
        answers = len(MATRIX) * len(ROLES) * len(SIDES)
        print(f"\npermission matrix: {len(MATRIX)} URLs × {len(ROLES)} roles × {len(SIDES)} sides = {answers} answers")
    assert not wrong, "\n".join(wrong)
