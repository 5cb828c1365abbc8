"""Read use-cases of dispatch: the command levels' queues, a case's routing, supervision orders, the live feed."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import ancestor_paths, subtree_q, user_scope
from cases.models import CALLBACK_EVENT, RATE_EVENT, Case, CaseEvent, Satisfaction, Status, Summons
from cases.models.querysets import CaseFacts, case_visible_to
from dispatch.models import CaseRouting, CommandLevel, ResponsibilityRule, SupervisionOrder
from dispatch.services.routing import routing_propose
from grids.models import Department


@dataclass(frozen=True)
class DispatcherReach:
    """Which queues a user works: the city's (a dispatcher posted over the whole city) and which districts'."""

    city: bool
    district_paths: tuple

    @property
    def any(self):
        return self.city or bool(self.district_paths)


def dispatcher_reach(*, user) -> DispatcherReach:
    """The user's command-centre postings: a dispatcher at the city root works the city queue, below it a district's."""
    scope = user_scope(user)
    if scope.everything:
        return DispatcherReach(city=True, district_paths=())
    paths = scope.region_paths(Role.DISPATCHER)
    city = any(path.count("/") == 2 for path in paths)  # "/4413/" is the city root
    return DispatcherReach(city=city, district_paths=tuple(p for p in paths if p.count("/") > 2))


def _in_city_queue():
    return Q(routing__level=CommandLevel.CITY)


def _in_district_queue():
    # A case never routed (no routing row yet) waits for its district, the default of 两级指挥派遣.
    return Q(routing__isnull=True) | Q(routing__level=CommandLevel.DISTRICT)


def dispatch_queue_for_user(*, user, level: str | None = None, region=None):
    """Cases waiting for dispatch in one command level's queue, oldest first, with their proposals.

    City dispatchers get the city queue by default (level city or escalated) and may read every district's
    (`level="district"`, optionally one `region` subtree); district dispatchers get their district's queue.
    Raises PermissionDenied for users without a dispatcher posting, or asking for a queue they do not work.
    """
    reach = dispatcher_reach(user=user)
    if not reach.any:
        raise PermissionDenied(_("Only dispatchers have a dispatch queue."))
    level = level or (CommandLevel.CITY if reach.city else CommandLevel.DISTRICT)
    if level == CommandLevel.CITY and not reach.city:
        raise PermissionDenied(_("The city queue is worked by the city command centre."))
    qs = Case.objects.visible_to(user).filter(status=Status.TO_DISPATCH)
    if level == CommandLevel.CITY:
        qs = qs.filter(_in_city_queue())
    else:
        qs = qs.filter(_in_district_queue())
        if not reach.city:
            qs = qs.filter(subtree_q(reach.district_paths, "region_path"))
    if region is not None:
        qs = qs.filter(region_path__startswith=region.path)
    return with_routing(qs).order_by("id")


def with_routing(qs):
    """Cases with what a list shows of them and their routing, in two queries however many rows."""
    assisting = Prefetch("routing__proposed_assisting", queryset=Department.objects.order_by("code"))
    return qs.for_list().select_related("routing__proposed_lead").prefetch_related(assisting)


# What one row of a case list (dispatch.templatetags.cityops_pages.case_row) shows, and what its clock and the keyset
# cursor read (cases.clock.light_at, describe_remaining; dispatch.pages.selectors.queue_cursor).
CASE_ROW_FIELDS = (
    "number", "status", "supervised", "command_level", "escalated", "urgency", "address",
    "stage_deadline", "stage_warn_at", "stage_remaining", "overdue", "stage_clock",
    "category__name", "region__name", "lead_department__name", "routing__proposed_lead__name",
)  # fmt: skip


def as_case_rows(qs):
    """Cases with exactly what a list row shows, in one query however many rows.

    A wall of screens reads these lists all day: the row's dozen columns rather than every column of five tables
    (the description, the routing's and the departments' details, the proposed assisting departments, which a row
    does not show) is a fraction of the rows' building in Python. A template that reads another field would cost a
    query per row; the lists' pinned query counts catch that."""
    return qs.select_related("category", "region", "lead_department", "routing__proposed_lead").only(*CASE_ROW_FIELDS)


@dataclass(frozen=True)
class RoutingInfo:
    """A case's routing as shown to dispatchers: stored at registration, or proposed now when not routed yet."""

    level: str
    lead: Department | None
    assisting: list
    auto_dispatch: bool = False
    auto_dispatched: bool = False
    rule_id: int | None = None
    basis: str = "list"
    escalated: bool = False
    escalated_at: object = None
    proposed_at: object = None
    stored: bool = True


def routing_info(case) -> RoutingInfo:
    """The stored routing of a case loaded through `with_routing` (no query); district level when never routed."""
    routing = routing_of(case)
    if routing is None:
        return RoutingInfo(level=CommandLevel.DISTRICT, lead=None, assisting=[], stored=False)
    return RoutingInfo(
        level=routing.level,
        lead=routing.proposed_lead,
        assisting=list(routing.proposed_assisting.all()),
        auto_dispatch=routing.auto_dispatch,
        auto_dispatched=routing.auto_dispatched,
        rule_id=routing.rule_id,
        basis=routing.basis,
        escalated=routing.escalated,
        escalated_at=routing.escalated_at,
        proposed_at=routing.proposed_at,
    )


def case_routing_for_user(*, user, case_id: int) -> RoutingInfo | None:
    """The routing of a visible case (None when out of scope). A case not routed yet gets a live proposal."""
    case = with_routing(Case.objects.visible_to(user).filter(pk=case_id)).select_related("category").first()
    if case is None:
        return None
    info = routing_info(case)
    if info.stored or case.is_final:
        return info
    proposal = routing_propose(case=case)
    if proposal is None:
        return info
    return RoutingInfo(
        level=proposal.level,
        lead=proposal.lead,
        assisting=proposal.assisting,
        auto_dispatch=proposal.auto,
        rule_id=proposal.rule.pk if proposal.rule else None,
        basis=proposal.basis,
        stored=False,
    )


def routing_of(case) -> CaseRouting | None:
    """The case's routing from the select_related cache, None when it has none."""
    try:
        return case.routing
    except CaseRouting.DoesNotExist:
        return None


# ---- supervision orders and the live feed ----


def _visible_case(user):
    """A correlated EXISTS on the one scope rule (Case.objects.visible_to), for rows that point at a case.

    EXISTS rather than `case__in=`: PostgreSQL turns it into a semi-join it can drive from the outer rows,
    so a feed poll reads only the few events after its cursor, not every case a city user may see.
    """
    return Exists(Case.objects.visible_to(user).filter(pk=OuterRef("case_id")))


def order_list_for_user(*, user, state: str | None = None, formal: bool | None = None, case_id: int | None = None):
    """Supervision orders on cases the user may see, newest first."""
    qs = SupervisionOrder.objects.filter(_visible_case(user)).select_related("case", "issued_by", "replied_by")
    if state:
        qs = qs.filter(state=state)
    if formal is not None:
        qs = qs.filter(formal=formal)
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    return qs.order_by("-id")


def order_detail_for_user(*, user, order_id: int):
    """One order on a visible case, or None (out of scope answers 404)."""
    return order_list_for_user(user=user).filter(pk=order_id).first()


def event_feed_start() -> int:
    """Where a feed without a cursor starts: the last id the event sequence handed out (0 before the first).

    The sequence rather than the newest row: ids drawn by rolled-back inserts would otherwise leave a gap at the
    start, at which the first poll would wait (see _feed_horizon).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass), 0)",
            [CaseEvent._meta.db_table],
        )
        return cursor.fetchone()[0]


# How long the feed waits for a missing event id to commit before it gives the id up (see event_feed_for_user).
FEED_GAP_GRACE = timedelta(seconds=10)
# How many ids one poll looks ahead; a client far behind catches up page by page.
FEED_SCAN = 1000


def _feed_horizon(rows, after, now):
    """The highest id up to which every id has committed or been given up on.

    Ids are drawn at insert (the timer sweep draws a batch's before its inserts), not at commit, so a later
    id can be visible while an earlier one is still in flight. The cursor therefore stops before a gap until the
    gap fills, or until the event after it is FEED_GAP_GRACE old: then the missing id belongs to a rolled-back
    insert or an unused reservation and never comes.
    """
    horizon = after
    for event_id, at in rows:
        if event_id != horizon + 1 and at > now - FEED_GAP_GRACE:
            break
        horizon = event_id
    return horizon


def event_feed_for_user(*, user, after: int, limit: int, now=None) -> tuple[list, int]:
    """(events, next cursor): at most `limit` events after the cursor on cases the user may see, oldest first.

    Two queries when something is new (the ids after the cursor, then the visible events up to the horizon),
    one when nothing is. The cursor moves past events the user may not see, so they are not read again.
    """
    events, cursor, _behind = event_feed_page_for_user(user=user, after=after, limit=limit, now=now)
    return events, cursor


def event_feed_scan(*, after: int) -> list:
    """The (id, at) of the events after the cursor, whoever may see them (at most FEED_SCAN): the first read of a
    feed page, the same for every user, so the streams of one server process share it."""
    return list(CaseEvent.objects.filter(pk__gt=after).order_by("id").values_list("id", "at")[:FEED_SCAN])


FEED_EVENT_FIELDS = (
    "id",
    "action",
    "from_status",
    "to_status",
    "actor_role",
    "at",
    "note",
    "case__id",
    "case__number",
    "case__status",
    "actor__username",
    "actor__full_name",
)


def event_feed_page_for_user(*, user, after: int, limit: int, now=None, scan=None) -> tuple[list, int, bool]:
    """(events, next cursor, behind): event_feed_for_user, and whether more is known to come after the cursor
    (a full page, a full scan, or an id held back at a gap): a stream then looks again soon without a wake-up.
    `scan`: event_feed_scan(after=after), when the caller has it already."""
    now = now or timezone.now()
    rows = event_feed_scan(after=after) if scan is None else scan
    horizon = _feed_horizon(rows, after, now)
    behind = len(rows) == FEED_SCAN or bool(rows and rows[-1][0] > horizon)
    if horizon == after:
        return [], after, behind
    events = (
        CaseEvent.objects.filter(_visible_case(user), pk__gt=after, pk__lte=horizon)
        .select_related("case", "actor")
        .only(*FEED_EVENT_FIELDS)
        .order_by("id")
    )
    events = list(events[:limit])
    # A full page continues right after it; otherwise every visible event up to the horizon has been listed.
    if len(events) == limit:
        return events, events[-1].id, True
    return events, horizon, behind


@dataclass(frozen=True)
class FeedBatch:
    """Every event after a cursor up to its horizon, whoever may see them, with what the scope rule asks of their
    cases: read once for all the live streams of a server process at that cursor (event_feed_batch)."""

    after: int
    horizon: int
    behind: bool
    events: list
    facts: dict  # case id -> CaseFacts


def event_feed_batch(*, after: int, now=None) -> FeedBatch:
    """The events after the cursor up to the horizon (at most FEED_SCAN) for any number of users at once: one
    query when nothing is new, four when something is (the ids, the events with their cases, the cases'
    assisting and summoned departments), however many users then take their page (event_feed_page_of_batch)."""
    now = now or timezone.now()
    rows = event_feed_scan(after=after)
    horizon = _feed_horizon(rows, after, now)
    behind = len(rows) == FEED_SCAN or bool(rows and rows[-1][0] > horizon)
    if horizon == after:
        return FeedBatch(after=after, horizon=after, behind=behind, events=[], facts={})
    case_fields = ("case__region_path", "case__reporter_id", "case__assignee_id", "case__lead_department_id")
    events = list(
        CaseEvent.objects.filter(pk__gt=after, pk__lte=horizon)
        .select_related("case", "actor")
        .only(*FEED_EVENT_FIELDS, *case_fields)
        .order_by("id")
    )
    case_ids = {event.case_id for event in events}
    others = {case_id: set() for case_id in case_ids}
    assisting = Case.assisting_departments.through.objects.filter(case_id__in=case_ids)
    for case_id, department_id in assisting.values_list("case_id", "department_id"):
        others[case_id].add(department_id)
    for case_id, department_id in Summons.objects.filter(case_id__in=case_ids).values_list("case_id", "department_id"):
        others[case_id].add(department_id)
    facts = {}
    for event in events:
        case = event.case
        facts[case.pk] = CaseFacts(
            region_path=case.region_path,
            reporter_id=case.reporter_id,
            assignee_id=case.assignee_id,
            lead_department_id=case.lead_department_id,
            other_department_ids=frozenset(others[case.pk]),
        )
    return FeedBatch(after=after, horizon=horizon, behind=behind, events=events, facts=facts)


def event_feed_page_of_batch(*, user, batch: FeedBatch, limit: int) -> tuple[list, int, bool]:
    """event_feed_page_for_user(after=batch.after) taken from a shared batch, without a query (the user's scope is
    read once per user object, accounts.scope.user_scope): the same events, cursor and `behind`."""
    visible = [event for event in batch.events if case_visible_to(user, batch.facts[event.case_id])]
    if len(visible) >= limit:
        page = visible[:limit]
        return page, page[-1].id, True
    return visible, batch.horizon, batch.behind


def whistles_for_case(case):
    """The case's whistles (吹哨), newest first, each with its summonses (报到) in order: four queries."""
    from django.db.models import Prefetch

    from cases.models import Summons, Whistle

    summonses = Summons.objects.select_related("department", "reported_by").order_by("id")
    return list(
        Whistle.objects.filter(case=case)
        .select_related("department", "blown_by")
        .prefetch_related(Prefetch("summonses", queryset=summonses))
        .order_by("-id")
    )


def responsibility_rules_for_user(*, user):
    """Rules of the responsibility list set in the user's grid or above it (a city rule applies in every
    district), with what the list shows; a department's people read those of their department's home region."""
    qs = ResponsibilityRule.objects.select_related("category", "region", "lead_department").defer("region__geom")
    qs = qs.prefetch_related("assisting_departments")
    scope = user_scope(user)
    if scope.everything:
        return qs
    roots = scope.region_paths()
    above = sorted({a for root in roots for a in ancestor_paths(root)})
    return qs.filter(subtree_q(roots, "region__path") | Q(region__path__in=above))


# ---- 回访: the call-back queue ----


def _since_closing(action, **data):
    return CaseEvent.objects.filter(
        case=OuterRef("pk"), action=action, at__gte=OuterRef("closed_at"), **{f"data__{k}": v for k, v in data.items()}
    )


def callback_queue_for_user(*, user, limit: int = 200):
    """Closed cases in the operator's grids whose reporter is owed a call-back (回访), oldest closing first.

    Owed: the reporter asked for one (hotline or portal, `callback_requested`), or rated the result 不满意 on the
    portal since the case closed. Settled: a call-back since the closing reached the reporter, or
    settings.CALLBACK_MAX_ATTEMPTS call-backs did not. A reopened case leaves the queue (it is no longer closed) and
    comes back, if still owed, when it is closed again.
    """
    paths = user_scope(user).region_paths(Role.OPERATOR)
    if not paths and not user_scope(user).everything:
        return Case.objects.none()
    dissatisfied = _since_closing(RATE_EVENT, satisfaction=Satisfaction.DISSATISFIED)
    reached = _since_closing(CALLBACK_EVENT, reached=True)
    attempts = _since_closing(CALLBACK_EVENT).order_by().values("case").annotate(n=Count("id")).values("n")
    rating = _since_closing(RATE_EVENT).order_by("-id")
    latest = (
        CaseEvent.objects.filter(
            case=OuterRef("pk"), action__in=(RATE_EVENT, CALLBACK_EVENT), at__gte=OuterRef("closed_at")
        )
        .exclude(data__satisfaction=None)
        .order_by("-id")
    )
    qs = Case.objects.visible_to(user).filter(status=Status.CLOSED)
    if not user_scope(user).everything:
        qs = qs.filter(subtree_q(paths, "region_path"))
    return (
        qs.annotate(
            dissatisfied=Exists(dissatisfied),
            attempts=Coalesce(Subquery(attempts[:1]), 0),
            rating_comment=Subquery(rating.values("note")[:1]),
            latest_satisfaction=Subquery(latest.values("data__satisfaction")[:1]),
        )
        .filter(Q(callback_requested=True) | Q(dissatisfied=True))
        .exclude(Exists(reached))
        .exclude(attempts__gte=settings.CALLBACK_MAX_ATTEMPTS)
        .select_related("category")
        .order_by("closed_at", "id")[:limit]
    )
