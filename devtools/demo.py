"""The workload part of `seed_demo`: six weeks of a city's cases up to now, so every demo account finds work.

The cases come from the load generator (`devtools.loadgen`, coherent histories written fast with COPY), in a
few loads placed where the demo accounts look (the city, 惠城区's 桥东街道, the grid worker's 东湖社区, city-level
components), by every channel (12345 transfers with their work-order numbers, the counter, the media …).
What happens after that goes through the live services with the clock set per step: the shift in progress
(calls on the operator's desk, reports sent to the grid worker, cases just filed in the district's and the
city's queues, one waiting long enough to be lifted to the city, cases dispatched with assisting departments,
a whistle, a 改派 and a 催办, 督办 orders), routing proposals, dispatches to the city bureau, an emergency
(04 突发事件, emergency urgency on natural time) filed and dispatched, supervision orders on late cases, the
timer sweep (warnings, overdue, lifts to the city), the previous month frozen. Notifications follow as the
services make them (at commit).

`seed(now=…)` plays it all as if run at that instant, so the demo holds whatever the hour or weekday.

Demo cases carry the idempotency key ``demo:<id>`` (the shift's ``demo:live-<name>``): a second run finds
them and leaves the workload as it is.
"""

import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Point
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import CharField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import Posting, Role
from accounts.services import posting_grant
from assessment.models import AssessmentRun, RunKind, UnitResult
from assessment.periods import span_containing
from assessment.services import assessment_freeze, assessment_recompute
from cases.clock import escalation_at
from cases.models import FINAL_STATUSES, Case, CaseEvent, Category, FilingCondition, Status
from cases.services.intake import case_report
from cases.services.transitions import case_transition
from dispatch.models import CaseRouting, CommandLevel, EscalationStep
from dispatch.services.followup import followup_inline
from dispatch.services.orders import order_issue, order_reply
from dispatch.services.routing import routing_escalate_many_to_city, routing_propose, routing_record
from dispatch.services.timers import timers_sweep
from dispatch.services.whistles import whistle_blow
from grids.models import (
    Department,
    Facility,
    Level,
    Network,
    PatrolArea,
    PatrolSession,
    Region,
    TrackPoint,
    UnitGridLayer,
)
from grids.services.patrol_areas import patrol_area_save
from grids.services.unit_grids import unit_grids_generate
from huizhou_cityops.errors import ConflictError

from .demo_duty import seed_duty
from .demo_enforcement import seed_enforcement
from .demo_facilities import facilities_seed
from .demo_open311 import seed_open311
from .demo_portal import portal_seed
from .demo_sensing import seed_sensing
from .loadgen import LoadOptions, load_cases
from .loadgen.spread import SURNAMES

DEMO_TAG = "demo:"
DEFAULT_CASES = 3000
WEEKS = 6
# The demo accounts' places (accounts/demo.py): 桥东街道 of 惠城区 and the grid worker's 东湖社区.
STREET_CODE = "441302001"
COMMUNITY_CODE = "441302001001"
CITY_BUREAU = "city-urban-management"
DISTRICT_BUREAU = "huicheng-urban-management"
STREET_OFFICE = "street-" + STREET_CODE
LIVE = DEMO_TAG + "live-"  # the shift's cases made through the services (not moved by the bulk steps)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


@dataclass(frozen=True)
class Part:
    """One load: a share of the cases, where they lie, how many are open and in which statuses."""

    share: float
    within: str = ""  # a region code: only its grids
    open_share: float = 0.3
    open_weights: dict | None = None
    categories: tuple = ()  # display-code prefixes ("C01"): only these classes
    lights: bool = True  # place some open cases past their warning, due and overdue


PARTS = (
    Part(0.78),
    # 桥东街道: the street office's board, the district dispatcher's queue, the street's hot spots.
    Part(0.16, within=STREET_CODE, open_share=0.35),
    # 东湖社区: the grid worker's 核实/核查 tasks and reports near home.
    Part(
        0.04,
        within=COMMUNITY_CODE,
        open_share=0.5,
        open_weights={"verifying": 4.0, "checking": 4.0, "reported": 1.0, "handling": 2.0, "to_check": 1.0},
    ),
    # Manhole covers and other public-utility components of 惠城区: the responsibility list sends them to the
    # city command centre, so the city dispatcher's own queue has work.
    Part(0.02, within="441302", open_share=1.0, open_weights={"to_dispatch": 1.0}, categories=("C01",), lights=False),
)


def _name(code: str) -> str:
    rng = random.Random(code)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _staff():
    """Colleagues behind the demo accounts, who cannot log in: a patrol grid worker for each street and a duty
    handler for each department, so every history names the person who would have acted there."""
    User = get_user_model()
    made = 0
    streets = Region.objects.defer("geom").filter(level=Level.STREET)
    people = [(f"patrol-{s.code}", Role.GRID_WORKER, {"region": s}) for s in streets]
    held = set(Posting.objects.filter(role=Role.HANDLER).values_list("department_id", flat=True))
    departments = Department.objects.filter(active=True).exclude(pk__in=held)
    people += [(f"duty-{d.code}", Role.HANDLER, {"department": d}) for d in departments]
    for username, role, target in people:
        user, created = User.objects.get_or_create(
            username=username[:150], defaults={"full_name": _name(username), "is_active": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            made += 1
        posting_grant(user=user, role=role, **target)
        if "department" in target:
            # The department's person on duty: an emergency sent there reaches them at once.
            target["department"].duty_users.add(user)
    return made


def _unit_grids(now, gridworker):
    """桥东街道's communities cut into 100 m unit grids (those without a current layer, so a second run keeps them),
    and 多网合一 in 东湖社区: the grid worker's city-management area and a public-order area sharing some cells."""
    done = set(
        UnitGridLayer.objects.filter(current=True, community__parent__code=STREET_CODE).values_list(
            "community__code", flat=True
        )
    )
    communities = Region.objects.current().filter(parent__code=STREET_CODE, level=Level.COMMUNITY)
    todo = sorted(set(communities.values_list("code", flat=True)) - done)
    if todo and not done:
        unit_grids_generate(street_code=STREET_CODE, size_m=100, now=now)
    for code in todo if done else ():
        unit_grids_generate(community_code=code, size_m=100, now=now)
    community = Region.objects.defer("geom").get(code=COMMUNITY_CODE)
    cells = list(Region.objects.current().defer("geom").filter(parent=community, level=Level.UNIT).order_by("code"))
    half = len(cells) // 2
    User = get_user_model()
    order_worker, created = User.objects.get_or_create(
        username=f"order-{COMMUNITY_CODE}", defaults={"full_name": _name(f"order-{COMMUNITY_CODE}"), "is_active": True}
    )
    if created:
        order_worker.set_unusable_password()
        order_worker.save(update_fields=["password"])
    short = community.name.removesuffix("居委会").removesuffix("居民委员会")
    patrol_area_save(
        code=f"cm-{COMMUNITY_CODE}-1",
        name=f"{short}城管责任网格一",
        network=Network.CITY_MANAGEMENT,
        community=community,
        unit_grids=cells[:half],
        workers=[gridworker],
    )
    # The public-order grid overlaps the city-management one by a third of the community: same cells, other workers.
    patrol_area_save(
        code=f"po-{COMMUNITY_CODE}-1",
        name=f"{short}治安网格一",
        network=Network.PUBLIC_ORDER,
        community=community,
        unit_grids=cells[len(cells) // 6 : len(cells) // 6 + half],
        workers=[order_worker],
    )
    return len(todo)


def _path(code):
    return Region.objects.defer("geom").values_list("path", flat=True).get(code=code)


def _load(total, now, seed, progress):
    """The loads of PARTS; returns the ids of the cases they wrote."""
    before = Case.objects.aggregate(m=Max("id"))["m"] or 0
    since = timezone.localdate(now) - timedelta(weeks=WEEKS)
    for index, part in enumerate(PARTS):
        count = max(4, round(total * part.share))
        n_open = round(count * part.open_share)
        due = warning = overdue = 0
        if part.lights:
            due, warning, overdue = round(n_open * 0.03), round(n_open * 0.1), round(n_open * 0.12)
        options = LoadOptions(
            cases=count,
            seed=seed + index,
            since=since,
            within=(_path(part.within),) if part.within else (),
            open_share=part.open_share,
            open_weights=part.open_weights,
            categories=part.categories,
            due=due,
            warning=warning,
            overdue=overdue,
            now=now,
        )
        load_cases(options, progress=progress)
    ids = list(Case.objects.filter(pk__gt=before).values_list("pk", flat=True))
    Case.objects.filter(pk__in=ids).update(idempotency_key=Concat(Value(DEMO_TAG), Cast("pk", CharField())))
    return ids


def _route_waiting(now):
    """The routing proposal of every case waiting for dispatch, as registration makes it (the level)."""
    entered = (
        CaseEvent.objects.filter(case=OuterRef("pk"), to_status=Status.TO_DISPATCH).order_by("-id").values("id")[:1]
    )
    waiting = Case.objects.filter(status=Status.TO_DISPATCH, routing__isnull=True).annotate(entered=Subquery(entered))
    for case_id, event_id in waiting.values_list("pk", "entered"):
        if event_id:
            routing_record(case_id=case_id, event_id=event_id, now=now)
    # Past the ladder's step that lifts (+100 % of the limit by default): lifted to the city centre, as the sweep
    # does; a case merely overdue stays in its district's queue.
    step = EscalationStep.objects.filter(active=True, lift_to_city=True).order_by("percent").first()
    if step is None:
        return set()
    late = Case.objects.filter(status=Status.TO_DISPATCH, stage_deadline__lte=now, stage_started_at__isnull=False)
    lifting = [
        pk
        for pk, deadline, budget, clock in late.values_list("pk", "stage_deadline", "stage_budget", "stage_clock")
        if escalation_at(deadline=deadline, budget=budget or timedelta(0), percent=step.percent, clock=clock) <= now
    ]
    return routing_escalate_many_to_city(case_ids=lifting, now=now)


def _last_event_at(case_id):
    return CaseEvent.objects.filter(case_id=case_id).aggregate(m=Max("at"))["m"]


def _dispatch_to_bureau(now, rng, users, count):
    """Cases waiting in the command queues that were sent to the city bureau over the last days (the handler's
    work): the city centre's own (escalated first), keeping a third of its queue, then 惠城区's."""
    bureau = Department.objects.get(code=CITY_BUREAU)
    waiting = (
        Case.objects.filter(status=Status.TO_DISPATCH)
        .exclude(idempotency_key__startswith=LIVE)
        .order_by("-routing__escalated", "id")
    )
    city = list(waiting.filter(routing__level=CommandLevel.CITY).values_list("pk", flat=True))
    district = waiting.filter(routing__level=CommandLevel.DISTRICT, region_path__startswith=_path("441302"))
    candidates = [(pk, users["dispatcher"]) for pk in city[: len(city) * 2 // 3]]
    candidates += [(pk, users["district-dispatcher"]) for pk in district.values_list("pk", flat=True)[: count * 2]]
    done = 0
    for case_id, dispatcher in candidates:
        start = _last_event_at(case_id)
        at = start + (now - start) * rng.uniform(0.2, 0.9)
        try:
            case_transition(
                case_id=case_id,
                actor=dispatcher,
                action="dispatch",
                note="属城市管理职责，派市城管局处置",
                params={"lead_department": bureau.code, "assisting_departments": []},
                now=at,
            )
        except (ValidationError, PermissionDenied, ConflictError):
            continue
        done += 1
        if done >= count:
            break
    return done


class _Shift:
    """The shift's live cases: each reported, accepted, filed, dispatched … through the services, the clock set
    minutes or days before `now` per step; every case gets the key ``demo:live-<name>``."""

    def __init__(self, now, users, rng):
        self.now, self.users, self.rng = now, users, rng
        self.day = timezone.localdate(now).strftime("%Y%m%d")
        self.orders = 0
        self._points = {}

    def point(self, code):
        """A point inside one of the grids (the leaves) of region `code`, drawn in turn."""
        if code not in self._points:
            leaves = Region.objects.filter(path__startswith=_path(code), geom__isnull=False, children__isnull=True)
            grids = leaves.order_by("code")
            points = list(grids.annotate(p=PointOnSurface("geom")).values_list("p", flat=True))
            self.rng.shuffle(points)
            self._points[code] = points
        points = self._points[code]
        points.append(points.pop(0))
        return points[-1]

    def report(self, name, code, category, ago, source="hotline_12345", callback=False, actor="operator", **kw):
        category = Category.objects.get(kind=category[0], code=category[1:], parent__isnull=False)
        point = self.point(code)
        work_order = ""
        if source == "hotline_12345":
            self.orders += 1
            work_order = f"HZ{self.day}9{self.orders:06d}"
        public = source in ("hotline_12345", "hotline_12319", "counter", "public")
        case, _created = case_report(
            actor=self.users[actor],
            category=category,
            description=kw.pop("description", f"{category.name}，请尽快处理"),
            lon=point.x,
            lat=point.y,
            source=None if actor == "gridworker" else source,
            address=kw.pop("address", ""),
            contact_name=_name(name) if public else "",
            contact_phone=f"139{self.rng.randrange(10**8):08d}" if public else "",
            callback_requested=callback,
            work_order_number=work_order,
            idempotency_key=LIVE + name,
            now=self.now - ago,
            **kw,
        )
        return case

    def act(self, case, action, who, ago, note="", **params):
        at = self.now - ago
        case_transition(case_id=case.pk, actor=self.users[who], action=action, note=note, params=params, now=at)
        if action == "register":
            # The proposal registration makes (the receiver's work after commit), at its instant.
            event = CaseEvent.objects.filter(case_id=case.pk, action="register").order_by("-id").first()
            routing_record(case_id=case.pk, event_id=event.pk, now=at)
        return Case.objects.get(pk=case.pk)

    def filed(self, name, code, category, ago, **kw):
        """Reported `ago`, accepted and filed within minutes."""
        case = self.report(name, code, category, ago, **kw)
        conditions = FilingCondition.objects.filter(category=case.category, active=True).order_by("position", "id")
        self.act(case, "accept", "operator", ago - timedelta(minutes=2))
        filing = {"filing_condition": conditions.first().pk, "urgency": "normal"}
        self.act(case, "register", "shiftlead", ago - timedelta(minutes=5), **filing)
        return case

    def dispatched(self, name, category, ago, lead, assisting=(), who="district-dispatcher", note=""):
        case = self.filed(name, STREET_CODE, category, ago)
        params = {"lead_department": lead, "assisting_departments": list(assisting)}
        return self.act(case, "dispatch", who, ago - timedelta(minutes=20), note=note, **params)


def _live(now, users, rng):
    """The shift in progress: work on every desk however the load's clocks fell. Returns what it made."""
    shift, m, h = _Shift(now, users, rng), (lambda n: timedelta(minutes=n)), (lambda n: timedelta(hours=n))
    made = {}
    # The operator's desk: calls and walk-ins of the last hour, waiting to be accepted.
    desk = [
        ("call-1", "E0513", m(12), "hotline_12345", True),
        ("call-2", "E0101", m(26), "hotline_12345", False),
        ("call-3", "E0504", m(41), "hotline_12345", True),
        ("counter-1", "E0507", m(33), "counter", False),
        ("media-1", "E0104", m(55), "media", False),
    ]
    made["desk"] = [shift.report(n, STREET_CODE, c, ago, source=s, callback=cb) for n, c, ago, s, cb in desk]
    # The big screen's intake of today (/screen/): three more channels within today however soon after midnight the
    # demo is loaded (the desk's calls above may then fall on the day before); waiting on the desk like them.
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.min.time()))
    today = [("wechat-today", "E0507", m(4), "public"), ("hotline-12319-today", "E0104", m(7), "hotline_12319"),
             ("counter-today", "E0101", m(9), "counter")]  # fmt: skip
    made["today"] = [
        shift.report(name, STREET_CODE, category, min(ago, (now - midnight) / 2), source=source)
        for name, category, ago, source in today
    ]
    # Accepted by the operator, waiting for the shift lead to file them.
    made["to_register"] = [
        shift.act(shift.report(name, STREET_CODE, category, ago, source=source), "accept", "operator", ago - m(3))
        for name, category, ago, source in (
            ("accepted-1", "E0101", m(38), "hotline_12345"),
            ("accepted-2", "E0506", m(64), "counter"),
            ("accepted-3", "E0104", h(2), "leader"),
        )
    ]
    # Reports near the grid worker's community sent to them to verify: three waiting, three verified real (back
    # on the operator's desk).
    verify = [
        ("wechat-1", "E0507", m(48), "public"),
        ("hotline-12319-1", "E0104", m(75), "hotline_12319"),
        ("wechat-3", "E0513", m(95), "public"),
        ("wechat-2", "E0506", h(3), "public"),
        ("hotline-12319-2", "E0513", h(4), "hotline_12319"),
        ("wechat-4", "E0104", h(5), "public"),
    ]
    made["verify"] = []
    for index, (name, category, ago, source) in enumerate(verify):
        case = shift.report(name, COMMUNITY_CODE, category, ago, source=source)
        shift.act(case, "request_verification", "operator", ago - m(4), assignee=users["gridworker"].username)
        if index >= 3:
            shift.act(case, "verify", "gridworker", ago - m(50), note="现场核实情况属实", result=True)
        made["verify"].append(case)
    # Filed minutes ago: the district's queue (属地 classes) and the city's (components the list gives the city).
    made["district"] = [
        shift.filed("district-1", STREET_CODE, "E0101", m(21), callback=True),
        shift.filed("district-2", STREET_CODE, "E0513", m(30)),
    ]
    made["city"] = [
        shift.filed("city-1", COMMUNITY_CODE, "C0114", m(24), source="grid_worker", actor="gridworker"),
        shift.filed("city-2", STREET_CODE, "C0113", m(35)),
    ]
    # Filed a week ago and never dispatched: past the ladder's lifting step, so in the city centre's queue.
    made["late"] = shift.filed("late-1", STREET_CODE, "E0513", timedelta(days=7), callback=True)
    # 协办: the district bureau leads, 桥东街道 assists (one also with the city bureau).
    made["assist"] = [
        shift.dispatched("assist-1", "E0101", h(30), DISTRICT_BUREAU, [STREET_OFFICE], note="区局牵头，街道协办"),
        shift.dispatched("assist-2", "E0101", h(6), DISTRICT_BUREAU, [STREET_OFFICE, CITY_BUREAU]),
        shift.dispatched("assist-3", "E0513", h(3), DISTRICT_BUREAU, [STREET_OFFICE]),
    ]
    # 街道吹哨、部门报到: the street office summons the city bureau to the first of them.
    made["whistle"] = whistle_blow(
        case_id=made["assist"][0].pk,
        actor=users["street-handler"],
        departments=[CITY_BUREAU],
        note="违建涉及多部门，请市城管局明日上午到现场联合处置",
        now=now - m(50),
    )
    # 改派: sent to the district bureau, re-dispatched to the street office it belongs to, then urged (催办).
    redispatched = shift.dispatched("redispatch-1", "E0513", h(28), DISTRICT_BUREAU)
    shift.act(
        redispatched,
        "redispatch",
        "district-dispatcher",
        h(26),
        note="空调室外机低挂属街道管理，改派桥东街道办事处",
        lead_department=STREET_OFFICE,
        assisting_departments=[],
    )
    shift.act(redispatched, "urge", "district-dispatcher", m(90), note="市民再次来电，请今天内到场处置")
    made["redispatch"] = redispatched
    made["facility"] = _facility_case(shift, users, m)
    # The street office's requests waiting for the district dispatcher's decision (延期, 回退, 挂账), and a
    # duplicate call the operator asked to void, whatever the load's histories left pending.
    requests = [
        ("extend-1", "E0513", h(22), "request_extension", "需协调产权单位，申请延长处置时限", {"hours": 8}),
        ("return-1", "E0101", h(9), "request_return", "该点位不属本街道管辖，申请回退", {}),
        ("suspend-1", "E0104", h(30), "request_suspension", "需纳入年度改造计划，申请挂账", {}),
    ]
    made["requests"] = []
    for name, category, ago, action, note, params in requests:
        case = shift.dispatched(name, category, ago, STREET_OFFICE)
        made["requests"].append(shift.act(case, action, "street-handler", m(40), note=note, **params))
    duplicate = shift.report("void-1", STREET_CODE, "E0507", m(18))
    made["requests"].append(shift.act(duplicate, "request_void", "operator", m(8), note="与上一来电重复，申请作废"))
    # Sent to the city bureau this morning; and 督办 on the cases the district bureau leads, two answered.
    made["bureau"] = shift.dispatched("bureau-1", "E0101", h(2), CITY_BUREAU, note="涉及市级管理事项，派市城管局处置")
    leader = users["leader"]
    for index, case in enumerate(made["assist"]):
        order = order_issue(
            case_id=case.pk,
            actor=leader,
            note="群众反映强烈，请加快处置并书面回复进展",
            reply_hours=8,
            now=now - m(100 - 30 * index),
        )
        handler = _handler_of(case.lead_department_id)
        if index < 2 and handler is not None:
            reply = "已与街道联合到场，今日内处置完毕"
            order_reply(order_id=order.pk, actor=handler, reply=reply, now=now - m(15 - 5 * index))
    return made


def _facility_case(shift, users, m):
    """A broken water-supply cover the grid worker reported naming it from the inventory, accepted and filed: its
    routing proposes the cover's owner first (先属主). None when the demo street has no such cover."""
    cover = (
        Facility.objects.filter(
            region_path__startswith=_path(COMMUNITY_CODE), class_code="0101", owner__isnull=False, state="in_use"
        )
        .order_by("code")
        .first()
    )
    if cover is None:
        return None
    case, _created = case_report(
        actor=users["gridworker"],
        category=Category.objects.get(kind="C", code="0101", parent__isnull=False),
        description="上水井盖破损下陷，车辆碾压有异响，已设置临时警示",
        lon=cover.point.x,
        lat=cover.point.y,
        facility=cover.code,
        idempotency_key=LIVE + "facility-1",
        now=shift.now - m(28),
    )
    conditions = FilingCondition.objects.filter(category=case.category, active=True).order_by("position", "id")
    shift.act(case, "accept", "operator", m(25))
    filing = {"filing_condition": conditions.first().pk, "urgency": "normal"}
    return shift.act(case, "register", "shiftlead", m(22), **filing)


def _emergency(now, users):
    """A 04 突发事件 call taken 40 minutes ago as an emergency (its clocks run on natural time, in minutes):
    the shift leads are alerted at once, then accepted, filed and dispatched within the quarter hour, with
    桥东街道 assisting; the lead department's people on duty are alerted as it is dispatched."""
    # 燃气管道破裂 (a gas-pipe burst), else the first active 04 class.
    emergencies = Category.objects.filter(parent__isnull=False, active=True, kind="E", code__startswith="04")
    category = emergencies.filter(code="0403").first() or emergencies.order_by("code").first()
    if category is None:
        return None
    community = Region.objects.get(code=COMMUNITY_CODE)
    point = Region.objects.filter(pk=community.pk).values_list("geom", flat=True).get().point_on_surface
    case, _created = case_report(
        actor=users["operator"],
        category=category,
        description=f"市民来电：{community.name}附近{category.name}，现场情况紧急，请立即派员处置",
        lon=point.x,
        lat=point.y,
        source="hotline_12345",
        address=f"{community.name}附近",
        contact_name="陈先生",
        contact_phone="13800138000",
        callback_requested=True,
        work_order_number=f"HZ{timezone.localdate(now):%Y%m%d}8000001",
        urgency="emergency",
        idempotency_key=f"{DEMO_TAG}emergency",
        now=now - timedelta(minutes=40),
    )
    condition = FilingCondition.objects.filter(category=category, active=True).order_by("position", "id").first()
    steps = [
        ("accept", "operator", {}, 37),
        ("register", "shiftlead", {"filing_condition": condition.pk, "urgency": "emergency"}, 33),
    ]
    for action, who, params, minutes in steps:
        case_transition(
            case_id=case.pk, actor=users[who], action=action, params=params, now=now - timedelta(minutes=minutes)
        )
    case = Case.objects.select_related("category", "region").get(pk=case.pk)
    proposal = routing_propose(case=case)
    lead = proposal.lead if proposal and proposal.lead else Department.objects.get(code=STREET_OFFICE)
    assisting = [] if lead.code == STREET_OFFICE else [STREET_OFFICE]
    case_transition(
        case_id=case.pk,
        actor=users["dispatcher"],
        action="dispatch",
        note="突发事件，立即处置",
        params={"lead_department": lead.code, "assisting_departments": assisting},
        now=now - timedelta(minutes=28),
    )
    return case


def _handler_of(department_id):
    return (
        get_user_model()
        .objects.filter(postings__role=Role.HANDLER, postings__department_id=department_id, is_active=True)
        .order_by("-last_login", "id")
        .first()
    )


def _orders(now, rng, leader, ids):
    """督办 on late cases in handling: some answered by the department, the others still open."""
    late = (
        Case.objects.filter(
            pk__in=ids, status=Status.HANDLING, stage_deadline__lt=now - timedelta(hours=1), supervised=False
        )
        .order_by("stage_deadline")
        .values_list("pk", "lead_department_id", "stage_deadline")[:12]
    )
    issued = replied = 0
    for index, (case_id, department_id, deadline) in enumerate(late):
        at = max(deadline, now - timedelta(days=2)) + timedelta(minutes=rng.randint(10, 120))
        at = min(at, now - timedelta(minutes=30))
        order = order_issue(
            case_id=case_id,
            actor=leader,
            note="该案件已超期，请加快处置并书面回复处置进展",
            reply_hours=8,
            formal=index == 0,
            now=at,
        )
        issued += 1
        handler = _handler_of(department_id)
        if index % 2 and handler is not None:
            order_reply(
                order_id=order.pk,
                actor=handler,
                reply="已安排人员到场，预计今日内处置完毕",
                now=at + (now - at) * rng.uniform(0.2, 0.8),
            )
            replied += 1
    return issued, replied


def _score_last_month(now, admin):
    """The previous month frozen with its data (computed again when an earlier freeze saw none)."""
    span = span_containing("month", timezone.localdate(now)).previous()
    frozen = AssessmentRun.objects.filter(
        period_kind=span.kind, period_start=span.first, period_end=span.last, kind=RunKind.FREEZE
    ).first()
    if frozen is None:
        return assessment_freeze(span=span, now=now), span
    if not UnitResult.objects.filter(run=frozen).exclude(counts={}).exists():
        reason = "演示数据已载入：重新计算上月考核"
        return assessment_recompute(span=span, actor=admin, reason=reason, now=now), span
    return frozen, span


def seed(*, stdout=None, cases=DEFAULT_CASES, now=None) -> str:
    """Load the demo workload once (a run that finds demo cases keeps them); returns a one-line summary.

    `now` (default: the current time) is the instant the demo is played at; tests pass several. The follow-up
    work of each step (routing, auto-dispatch, notifications, the sweep's announcements) runs in this process
    right after its commit, so the next step finds it done whether or not a worker is running.
    """
    with followup_inline():
        return _seed(stdout=stdout, cases=cases, now=now)


def _seed(*, stdout, cases, now) -> str:
    now = now or timezone.now()
    gridworker = get_user_model().objects.filter(username="gridworker").first()
    cut = _unit_grids(now, gridworker) if gridworker is not None else 0
    grids = f"unit grids cut in {cut} communities of 桥东街道; " if cut else ""
    inventory = facilities_seed(street_code=STREET_CODE, first_community=COMMUNITY_CODE)
    existing = Case.objects.filter(idempotency_key__startswith=DEMO_TAG).count()
    if existing:
        open311 = seed_open311(now=now, community_code=COMMUNITY_CODE)
        kept = f"{grids}workload kept: {existing:,} demo cases already loaded; {inventory}; {_duty(now)}; {open311}"
        return f"{kept}; {seed_sensing(now=now)}"
    if cases <= 0:
        return f"{grids}no workload asked (--cases 0); {inventory}"
    started = time.monotonic()
    rng = random.Random(now.toordinal())
    staff = _staff()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_DEMO_USERS)}
    missing = set(_DEMO_USERS) - set(users)
    if missing:
        raise ImproperlyConfigured(f"seed the demo accounts first: {', '.join(sorted(missing))} missing")

    def progress(line):
        if stdout is not None and stdout.isatty():
            stdout.write(f"  {line}")

    ids = _load(cases, now, rng.randrange(1, 2**31), progress)
    loaded = time.monotonic() - started
    _live(now, users, rng)
    shift = _Shift(now, users, rng)
    portal = portal_seed(now=now, users=users, point=lambda: shift.point(COMMUNITY_CODE))
    missed = _missed_patrol(now, users, rng)
    live = Case.objects.filter(idempotency_key__startswith=LIVE).count()
    lifted = _route_waiting(now)
    bureau = _dispatch_to_bureau(now, rng, users, max(6, cases // 150))
    emergency = _emergency(now, users)
    issued, replied = _orders(now, rng, users["leader"], ids)
    enforcement = seed_enforcement(_Shift(now, {**users, **_enforcer()}, rng))
    sweep = timers_sweep(now=now)
    run, span = _score_last_month(now, users["admin"])
    # After the emergency: it was alerted to the departments' standing duty, before today's roster existed.
    duty = _duty(now)
    open311 = seed_open311(now=now, community_code=COMMUNITY_CODE)
    sensing = seed_sensing(now=now)
    open_count = Case.objects.filter(pk__in=ids).exclude(status__in=FINAL_STATUSES).count()
    city = CaseRouting.objects.filter(level=CommandLevel.CITY, case__status=Status.TO_DISPATCH).count()
    return grids + (
        f"{len(ids):,} cases over {WEEKS} weeks ({open_count:,} open; loaded in {loaded:.1f} s), {staff} colleagues, "
        f"{city} waiting for the city centre ({len(lifted)} lifted), {bureau} sent to the city bureau, "
        f"{live} cases of the shift in progress ({missed} missed by the grid worker's patrol), "
        f"emergency {emergency.number if emergency else 'none'}, {issued} orders ({replied} replied), {enforcement}, "
        f"sweep fired {sum(sweep.fired.values())} marks, {span.label} frozen (run {run.pk}); {inventory}; {duty}; "
        f"{open311}; {portal}; {sensing}"
    )


def _duty(now):
    """Today's roster and the grid worker's patrol (devtools.demo_duty); nothing when the accounts are missing."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_DEMO_USERS)}
    if not {"gridworker", "shiftlead", "dispatcher", "street-handler"} <= set(users):
        return "no duty roster (demo accounts missing)"
    return seed_duty(
        now=now,
        users=users,
        district_bureau=DISTRICT_BUREAU,
        street_office=STREET_OFFICE,
        community_code=COMMUNITY_CODE,
    )


def _enforcer():
    """The enforcement detachment's demo account, when seeded (accounts/demo.py)."""
    user = get_user_model().objects.filter(username="enforcer").first()
    return {"enforcer": user} if user is not None else {}


_DEMO_USERS = (
    "admin", "operator", "shiftlead", "dispatcher", "district-dispatcher", "leader", "gridworker", "handler",
    "street-handler",
)  # fmt: skip


# ---- 漏报: the grid worker's patrol this morning, and what other channels reported behind them -------------------


def _patrol_area(community, worker):
    """The grid worker's city-management patrol area in 东湖社区 (cut into unit grids by `_unit_grids`)."""
    return PatrolArea.objects.get(
        network=Network.CITY_MANAGEMENT, active=True, workers=worker, community=community, code__startswith="cm-"
    )


def _missed_patrol(now, users, rng):
    """The grid worker's patrol of this morning (a session with a track through six unit grids of their area), their
    own reports on the way, and the hotline and public reports that came in behind them — filed cases the patrol had
    walked past, so the dashboard's 漏报率 has something to show. Returns the number of missed cases made."""
    worker = users["gridworker"]
    community = Region.objects.get(code=COMMUNITY_CODE)
    area = _patrol_area(community, worker)
    cells = list(area.unit_grids.order_by("code")[:6])
    # Ended three hours ago: the patrol the worker is on now (devtools.demo_duty) began later.
    started = now - timedelta(hours=7)
    session = PatrolSession.objects.create(
        user=worker,
        patrol_area=area,
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"cityops-demo-patrol-{now:%Y%m%d%H%M}"),
        started_at=started,
        ended_at=now - timedelta(hours=3),
        start_point=cells[0].geom.point_on_surface,
    )
    points = []
    for index, cell in enumerate(cells):  # 25 minutes in each grid, a point every 30 s
        inner = cell.geom.point_on_surface
        for step in range(50):
            wobble = (rng.uniform(-2e-4, 2e-4), rng.uniform(-2e-4, 2e-4))
            at = started + timedelta(minutes=10 + 25 * index, seconds=30 * step)
            points.append(
                TrackPoint(
                    session=session, user=worker, recorded_at=at, accuracy_m=8.0,
                    point=Point(inner.x + wobble[0], inner.y + wobble[1], srid=4326),
                )
            )  # fmt: skip
    TrackPoint.objects.bulk_create(points)
    PatrolSession.objects.filter(pk=session.pk).update(
        points=len(points), last_point=points[-1].point, last_seen_at=points[-1].recorded_at, end_point=points[-1].point
    )
    shift = _Shift(now, users, rng)
    shift.orders = 900  # after the shift's own 12345 work orders of the day (their numbers are unique)
    # Reported on the way (filed): the worker's effective reports.
    for index, category in ((0, "E0102"), (2, "E0201"), (4, "E0505")):
        ago = now - (started + timedelta(minutes=20 + 25 * index))
        shift.filed(f"patrol-{index}", cells[index].code, category, ago, source="grid_worker", actor="gridworker")
    # Reported by others 40–80 minutes after the worker walked through the grid: missed.
    missed = ((1, "E0104", "hotline_12345"), (3, "E0507", "public"), (5, "E0201", "hotline_12319"))
    for index, category, source in missed:
        ago = now - (started + timedelta(minutes=35 + 25 * index + rng.randrange(40, 75)))
        shift.filed(f"missed-{index}", cells[index].code, category, ago, source=source)
    return len(missed)
