"""Reads of the enforcement chain: lists for the pages and API, one chain with its timeline, public listings."""

import math

from django.db.models import BooleanField, Count, Max, Prefetch, Q
from django.db.models.expressions import RawSQL

from cases.models import (
    ApprovalState,
    Case,
    CollaborationTask,
    EnforcementCase,
    EnforcementEvent,
    EnforcementListing,
    EnforcementState,
    Party,
    PenaltyDecision,
    TaskState,
)


def enforcement_list_for_user(*, user, state=None, body_id=None):
    """The chains `user` may see, newest first, with what a list row shows."""
    qs = EnforcementCase.objects.visible_to(user).select_related("body", "source", "listing", "listing__responsible")
    if state:
        qs = qs.filter(state=state)
    if body_id:
        qs = qs.filter(body_id=body_id)
    return qs.annotate(open_parts=Count("tasks", filter=Q(tasks__state=TaskState.OPEN))).order_by("-id")


def enforcement_detail_for_user(*, user, pk):
    """One chain with its source, parts, decisions, listing and timeline; None when out of scope."""
    return (
        EnforcementCase.objects.visible_to(user)
        .select_related("body", "source", "source__category", "party", "listing", "listing__responsible")
        .prefetch_related(
            Prefetch("tasks", queryset=CollaborationTask.objects.select_related("department", "answered_by")),
            Prefetch(
                "decisions", queryset=PenaltyDecision.objects.select_related("standard", "proposed_by", "approved_by")
            ),
            Prefetch("events", queryset=EnforcementEvent.objects.select_related("actor", "department")),
            "evidence",
        )
        .filter(pk=pk)
        .first()
    )


def enforcement_for_case(*, case):
    """The chains of one source case, for its panel: number, body, state, listing and a repeat offender's flag."""
    chains = list(EnforcementCase.objects.filter(source=case).select_related("body", "listing").order_by("id"))
    repeat = repeat_offender_ids({c.party_id for c in chains})
    for chain in chains:
        chain.repeat_offender = chain.party_id in repeat
    return chains


def open_tasks_for_departments(*, department_ids):
    """Collaboration parts waiting for any of `department_ids` (the department workspace's to-do list)."""
    return (
        CollaborationTask.objects.filter(department_id__in=department_ids, state=TaskState.OPEN)
        .select_related("enforcement", "enforcement__body", "department")
        .order_by("deadline", "id")
    )


def listings_for_user(*, user, include_lifted=False):
    """The 挂牌督办 listings over the chains `user` may see (the internal list page)."""
    qs = EnforcementListing.objects.filter(enforcement__in=EnforcementCase.objects.visible_to(user)).select_related(
        "enforcement", "enforcement__body", "responsible"
    )
    if not include_lifted:
        qs = qs.filter(lifted_at__isnull=True)
    return qs.order_by("deadline", "id")


# Only these fields leave the platform: no party, no person, no case text written by a reporter.
PUBLIC_LISTING_FIELDS = (
    "number",
    "violation",
    "responsible",
    "rectification",
    "deadline",
    "listed_at",
    "address",
)


def public_listings():
    """The public, un-lifted 挂牌督办 listings for the transparency page, non-personal fields only, soonest deadline
    first: number, violation, responsible (body name), rectification, deadline, listed_at and the source address."""
    rows = (
        EnforcementListing.objects.filter(public=True, lifted_at__isnull=True)
        .select_related("enforcement", "enforcement__source", "responsible")
        .order_by("deadline", "id")
    )
    return [
        {
            "number": row.enforcement.number,
            "violation": row.enforcement.violation,
            "responsible": row.responsible.name,
            "rectification": row.rectification,
            "deadline": row.deadline,
            "listed_at": row.listed_at,
            "address": row.enforcement.source.address,
        }
        for row in rows
    ]


def pending_penalties(*, user):
    """Penalties outside the standard waiting for a leader, over the chains `user` may see."""
    return PenaltyDecision.objects.filter(
        approval=ApprovalState.PENDING, enforcement__in=EnforcementCase.objects.visible_to(user)
    ).select_related("enforcement", "standard")


# A party with this many confirmed violations is a repeat offender (屡查屡犯), flagged wherever its chains show.
REPEAT_OFFENDER_VIOLATIONS = 2
CONFIRMED_STATES = [s for s in EnforcementState if s not in (EnforcementState.TRANSFERRED, EnforcementState.DECLINED)]


def party_register_rows():
    """Every party with its confirmed violations, rectifications verified and listings (the credit register)."""
    confirmed = Q(enforcement_cases__state__in=CONFIRMED_STATES)
    rectified = Q(
        enforcement_cases__state__in=[EnforcementState.VERIFIED, EnforcementState.FED_BACK, EnforcementState.CLOSED]
    )
    return Party.objects.annotate(
        violations=Count("enforcement_cases", filter=confirmed, distinct=True),
        rectifications=Count("enforcement_cases", filter=rectified, distinct=True),
        listings=Count("enforcement_cases__listing", distinct=True),
        last_violation=Max("enforcement_cases__confirmed_at"),
    ).order_by("-violations", "name")


def repeat_offender_ids(party_ids) -> set[int]:
    """Which of `party_ids` are repeat offenders (one query)."""
    ids = [pk for pk in party_ids if pk]
    if not ids:
        return set()
    rows = party_register_rows().filter(pk__in=ids, violations__gte=REPEAT_OFFENDER_VIOLATIONS)
    return set(rows.values_list("pk", flat=True))


# How near an earlier chain's source a new case must lie for its repeat offender to be flagged (intake, dispatch).
REPEAT_NEARBY_METERS = 50


def repeat_offenders_near(*, case, meters=REPEAT_NEARBY_METERS):
    """Repeat offenders' chains whose source case lies within `meters` of `case`: the operator at intake and the
    dispatcher see on the case panel that the place has a repeat offender (at most five, newest first)."""
    repeat = party_register_rows().filter(violations__gte=REPEAT_OFFENDER_VIOLATIONS).values("pk")
    # ST_DWithin in degrees uses the points' index: `meters` as degrees of longitude at the case's latitude (the
    # larger of the two at Huizhou's latitudes, so the circle is never smaller than asked).
    # Written as SQL: the ORM's lookup on a geographic field reads spatial_ref_sys on a process's first use.
    degrees = meters / (111_320 * math.cos(math.radians(case.point.y)))
    near = RawSQL(
        'ST_DWithin("cases_case"."point", ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)',
        (case.point.x, case.point.y, degrees),
        output_field=BooleanField(),
    )
    sources = list(
        Case.objects.alias(near=near).filter(near=True).exclude(pk=case.pk).values_list("pk", flat=True)[:500]
    )
    return list(
        EnforcementCase.objects.filter(party__in=repeat, source__in=sources)
        .exclude(source=case)
        .select_related("party")
        .order_by("-id")[:5]
    )
