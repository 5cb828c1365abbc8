"""Routing by the responsibility list (权责清单) and the two command levels (两级指挥派遣).

`routing_propose` finds the rule that fits a case best; `routing_record` stores the proposal when a case enters
"to dispatch" and decides whose queue it is in; `routing_auto_dispatch` lets the platform dispatch on its own
when the rule says so; `routing_escalate_to_city` lifts an overdue case to the city command centre.
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import ancestor_paths
from cases.models import Case, CaseEvent, Status
from cases.services import case_transition
from cases.workflow import ACTIONS
from dispatch.models import CaseRouting, CommandLevel, ResponsibilityRule, RoutingBasis
from dispatch.services.emergency import emergency_alert
from grids.models import Department, DepartmentKind, Facility
from huizhou_cityops.errors import ConflictError

logger = logging.getLogger(__name__)

STREET_DEPTH = 2  # city 0, district 1, street/town 2 (grids.models.LEVEL_DEPTH)


@dataclass(frozen=True)
class Proposal:
    """Who should handle a case according to the responsibility list, and who dispatches it."""

    lead: Department
    assisting: list = field(default_factory=list)
    level: str = CommandLevel.DISTRICT
    auto: bool = False
    rule: ResponsibilityRule | None = None
    basis: str = RoutingBasis.LIST
    facility: Facility | None = None


def routing_propose(*, case, exclude=()) -> Proposal | None:
    """The most specific active rule for the case (None when no rule fits), in two queries.

    事件 (E) are territory first: the deepest region wins, then the most specific category. 部件 (C) are
    owner first: a case about a facility of the inventory whose owner is known goes to that owner, with its
    maintainer (a contractor) assisting; otherwise the most specific category wins, then the deepest region
    (DOMAIN §7, 先属主后属地). A rule whose lead cannot be found (inactive department, no street office) is
    skipped, as are rules and owners in `exclude` (departments that returned the case). Needs `case.category`.
    """
    excluded = {d if isinstance(d, int) else d.pk for d in exclude}
    rule = _best_rule(case, excluded)
    owner_first = _owner_proposal(case, rule, excluded)
    if owner_first is not None:
        return owner_first
    if rule is None:
        return None
    links = ResponsibilityRule.assisting_departments.through.objects.filter(responsibilityrule=rule)
    assisting_ids = links.values("department_id")
    departments = Department.objects.filter(Q(pk=rule.resolved_lead_id) | Q(pk__in=assisting_ids), active=True)
    departments = sorted(departments, key=lambda d: d.code)
    lead = next(d for d in departments if d.pk == rule.resolved_lead_id)
    assisting = [d for d in departments if d.pk != lead.pk and d.pk not in excluded]
    return Proposal(lead=lead, assisting=assisting, level=rule.dispatch_level, auto=rule.auto_dispatch, rule=rule)


def _owner_proposal(case, rule, excluded) -> Proposal | None:
    """先属主: the facility's owner as lead and its maintainer assisting, when the owner is active and not excluded.

    The command level stays the rule's (who dispatches is the list's decision); the platform dispatches on its own
    only when the rule would have sent the case to the same owner.
    """
    if case.kind != "C" or not case.facility_id:
        return None
    facility = Facility.objects.select_related("owner", "maintainer").filter(pk=case.facility_id).first()
    owner = facility.owner if facility is not None else None
    if owner is None or not owner.active or owner.pk in excluded:
        return None
    maintainer = facility.maintainer
    assisting = []
    if maintainer is not None and maintainer.active and maintainer.pk not in excluded and maintainer.pk != owner.pk:
        assisting.append(maintainer)
    rule_agrees = rule is not None and rule.resolved_lead_id == owner.pk
    return Proposal(
        lead=owner,
        assisting=assisting,
        level=rule.dispatch_level if rule is not None else CommandLevel.DISTRICT,
        auto=bool(rule_agrees and rule.auto_dispatch),
        rule=rule,
        basis=RoutingBasis.OWNER,
        facility=facility,
    )


def _best_rule(case, excluded):
    paths = ancestor_paths(case.region_path)
    minor, major = case.category_id, case.category.parent_id
    categories = [c for c in (minor, major) if c is not None]
    street_office = Department.objects.filter(
        kind=DepartmentKind.STREET_OFFICE,
        active=True,
        home_region__path=paths[STREET_DEPTH] if len(paths) > STREET_DEPTH else None,
    ).values("pk")[:1]
    category_rank = SqlCase(
        When(category_id=minor, then=3),
        When(category__isnull=False, then=2),
        When(kind=case.kind, then=1),
        default=0,
        output_field=IntegerField(),
    )
    resolved_lead = SqlCase(
        When(lead_street_office=True, then=Subquery(street_office)),
        When(lead_department__active=True, then=F("lead_department_id")),
        default=None,
        output_field=IntegerField(),
    )
    rules = (
        ResponsibilityRule.objects.filter(active=True, region__path__in=paths)
        .filter(Q(category_id__in=categories) | Q(category__isnull=True, kind__in=[case.kind, ""]))
        .annotate(category_rank=category_rank, region_depth=F("region__depth"), resolved_lead_id=resolved_lead)
        .filter(resolved_lead_id__isnull=False)
        .exclude(resolved_lead_id__in=excluded)
    )
    if case.kind == "C":
        rules = rules.order_by("-category_rank", "-region_depth", "id")
    else:
        rules = rules.order_by("-region_depth", "-category_rank", "id")
    return rules.first()


def _returned_departments(case_id):
    """Departments that sent the case back as not theirs (approved returns); never proposed again."""
    returns = CaseEvent.objects.filter(case_id=case_id, action="approve_return", department__isnull=False)
    return set(returns.values_list("department_id", flat=True))


def routing_record(*, case_id: int, event_id: int, now=None) -> CaseRouting | None:
    """Store the proposal for a case that entered "to dispatch" through event `event_id` and set its level.

    Idempotent: a second call for the same (or an older) event changes nothing. None when the case is no longer
    waiting for dispatch. The level is the rule's, the district's when no rule fits, the city's once escalated.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The case lock serialises two runs of the receiver for the same case.
        case = Case.objects.select_for_update(of=("self",)).select_related("category").filter(pk=case_id).first()
        if case is None or case.status != Status.TO_DISPATCH:
            return None
        routing, _created = CaseRouting.objects.get_or_create(case=case)
        if routing.source_event_id is not None and routing.source_event_id >= event_id:
            return routing
        proposal = routing_propose(case=case, exclude=_returned_departments(case.pk))
        routing.rule = proposal.rule if proposal else None
        routing.proposed_lead = proposal.lead if proposal else None
        routing.auto_dispatch = bool(proposal and proposal.auto)
        routing.basis = proposal.basis if proposal else RoutingBasis.LIST
        routing.level = (
            CommandLevel.CITY if routing.escalated else (proposal.level if proposal else CommandLevel.DISTRICT)
        )
        routing.source_event_id = event_id
        routing.proposed_at = now
        fields = ["rule", "proposed_lead", "auto_dispatch", "basis", "level", "source_event", "proposed_at"]
        routing.save(update_fields=fields)
        routing.proposed_assisting.set(proposal.assisting if proposal else [])
        # Who commands the case, in the same transaction as the routing row: the rule's level, unless the city
        # command centre took the case over (permanently).
        taken_over = CaseEvent.objects.filter(case_id=case.pk, action="take_over").exists()
        command = CommandLevel.CITY if taken_over else (proposal.level if proposal else CommandLevel.DISTRICT)
        Case.objects.filter(pk=case.pk).update(command_level=command, escalated=routing.escalated)
        if routing.proposed_lead_id is not None:
            # An emergency's proposed department hears of it now, before anyone dispatches it.
            source = CaseEvent(pk=event_id, case_id=case.pk)
            emergency_alert(case=case, event=source, department_id=routing.proposed_lead_id)
    return routing


def routing_auto_dispatch(*, case_id: int, event_id: int) -> bool:
    """Dispatch the case as the system to the proposed departments when its rule says so; True if it did.

    Only for the proposal made at registration (`event_id`); a case back from a return waits for a human.
    Runs in its own transaction; a case someone else already moved is left alone (the transition's 409).
    """
    routing = (
        CaseRouting.objects.select_related("proposed_lead")
        .filter(case_id=case_id, source_event_id=event_id, auto_dispatch=True, proposed_lead__isnull=False)
        .first()
    )
    if routing is None:
        return False
    params = {
        "lead_department": routing.proposed_lead.code,
        "assisting_departments": [d.code for d in routing.proposed_assisting.all()],
    }
    try:
        with transaction.atomic():
            case_transition(
                case_id=case_id,
                actor=None,
                system=True,
                action="dispatch",
                note=_("Dispatched automatically from the responsibility list."),
                params=params,
            )
            CaseRouting.objects.filter(pk=case_id).update(auto_dispatched=True)
    except ConflictError:
        return False
    except ValidationError:
        # A department deactivated between proposal and dispatch: the case stays in the queue for a human.
        logger.warning("auto-dispatch of case %s refused: %s", case_id, params)
        return False
    return True


def routing_after_transition(*, case_id: int, event_id: int, action: str) -> None:
    """The routing work `action` declares as its follow-up: a proposal ("route"), then auto-dispatch when asked."""
    spec = ACTIONS.get(action)
    follow_up = spec.follow_up if spec is not None else ()
    if "route" in follow_up:
        routing_record(case_id=case_id, event_id=event_id)
    if "auto_dispatch" in follow_up:
        routing_auto_dispatch(case_id=case_id, event_id=event_id)


def routing_escalate_to_city(*, case_id: int, now=None) -> bool:
    """Lift the case to the city command centre's queue; True if this call did it. Idempotent.

    Works whether or not the case was routed before.
    """
    return bool(routing_escalate_many_to_city(case_ids=[case_id], now=now))


def routing_escalate_many_to_city(*, case_ids, now=None) -> set[int]:
    """Lift cases to the city command centre's queue at once; returns the ids this call lifted. Idempotent.

    The city may then urge, order, re-dispatch or take the case over; until it takes over, the district keeps
    command (`Case.command_level`).

    Called by the timer sweep for a batch of overdue cases whose escalation step lifts them.
    """
    now = now or timezone.now()
    case_ids = sorted(set(case_ids))
    if not case_ids:
        return set()
    with transaction.atomic():
        CaseRouting.objects.bulk_create([CaseRouting(case_id=pk) for pk in case_ids], ignore_conflicts=True)
        # Locked in key order, so two overlapping callers cannot deadlock each other.
        lifting = CaseRouting.objects.filter(case_id__in=case_ids, escalated=False).select_for_update().order_by("pk")
        lifted = set(lifting.values_list("case_id", flat=True))
        CaseRouting.objects.filter(case_id__in=lifted).update(level=CommandLevel.CITY, escalated=True, escalated_at=now)
        # The case itself knows it is before the city (which may take it over); its command level stays.
        Case.objects.filter(pk__in=lifted, escalated=False).update(escalated=True)
    return lifted
