"""Read use-cases of dispatch: the two command levels' queues and a case's routing."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import subtree_q, user_scope
from cases.models import Case, Status
from dispatch.models import CaseRouting, CommandLevel
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


@dataclass(frozen=True)
class RoutingInfo:
    """A case's routing as shown to dispatchers: stored at registration, or proposed now when not routed yet."""

    level: str
    lead: Department | None
    assisting: list
    auto_dispatch: bool = False
    auto_dispatched: bool = False
    rule_id: int | None = None
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
        rule_id=proposal.rule.pk,
        stored=False,
    )


def routing_of(case) -> CaseRouting | None:
    """The case's routing from the select_related cache, None when it has none."""
    try:
        return case.routing
    except CaseRouting.DoesNotExist:
        return None
