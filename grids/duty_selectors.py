"""Reads of 网上勤务: who is rostered on duty, who is out on patrol where, and a worker's own attendance."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Posting, Role
from accounts.scope import subtree_q, user_scope
from grids.models import Department, DutyShift, PatrolSession


@dataclass(frozen=True)
class OnDuty:
    user_id: int
    phone: str  # the number to call: the shift's duty phone, else the person's own
    shift_phone: str  # the shift's duty phone ("" when the shift names none)


def duty_people_for_department(*, department_id: int, at: datetime) -> list[OnDuty]:
    """The active people rostered on duty for the department at `at` (one query), each with the number to call."""
    shifts = (
        DutyShift.objects.filter(department_id=department_id, starts_at__lte=at, ends_at__gt=at, user__is_active=True)
        .order_by("kind", "starts_at", "id")
        .values_list("user_id", "phone", "user__phone")
    )
    people = {}
    for user_id, shift_phone, own_phone in shifts:
        shift_phone = (shift_phone or "").strip()
        people.setdefault(user_id, OnDuty(user_id, shift_phone or (own_phone or "").strip(), shift_phone))
    return list(people.values())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def duty_shift_list_for_day(*, user, day: date, until: datetime | None = None):
    """Shifts overlapping `day` for departments the user may see or patrol areas in their grids, by start; with
    `until`, also those starting after the day but before `until` (the next shift of a late evening is tomorrow's)."""
    start, end = day_bounds(day)
    if until is not None:
        end = max(end, until)
    shifts = DutyShift.objects.filter(starts_at__lt=end, ends_at__gt=start)
    scope = user_scope(user)
    if not scope.everything:
        departments = Department.objects.visible_to(user).values("pk")
        # A shift of neither a department nor a patrol area is the command centre's own: every viewer's.
        shifts = shifts.filter(
            Q(department__in=departments)
            | subtree_q(scope.region_paths(), "patrol_area__community__path")
            | Q(department__isnull=True, patrol_area__isnull=True)
        )
    return (
        shifts.select_related("user", "department", "patrol_area__community")
        .defer("department__home_region", "patrol_area__community__geom")
        .order_by("department__level", "department__name", "patrol_area__code", "starts_at", "id")
    )


def _posted_in(paths):
    """Users holding a current grid-worker posting inside the subtrees `paths`."""
    postings = Posting.objects.current().filter(role=Role.GRID_WORKER).filter(subtree_q(paths, "region__path"))
    return Exists(postings.filter(user=OuterRef("user")))


def patrol_list_on_duty_for_user(*, user):
    """Open patrols of grid workers posted in the viewer's grids, latest fix first (the command centre's layer)."""
    sessions = PatrolSession.objects.filter(ended_at__isnull=True, user__is_active=True)
    scope = user_scope(user)
    if not scope.everything:
        sessions = sessions.filter(_posted_in(scope.region_paths()))
    return sessions.select_related("user", "patrol_area").order_by("-last_seen_at", "id")


def patrol_nearest_on_duty(*, point: Point, user_ids) -> list[tuple[int, float, datetime | None]]:
    """Among `user_ids`, those on patrol with a known position, nearest to `point` first: (user id, metres,
    last fix). Distances on the sphere (ST_DistanceSphere); a worker list is short, so no index is needed."""
    rows = (
        PatrolSession.objects.filter(ended_at__isnull=True, user_id__in=list(user_ids), last_point__isnull=False)
        .annotate(metres=Distance("last_point", point))
        .order_by("metres", "user_id")
        .values_list("user_id", "metres", "last_seen_at")
    )
    return [(user_id, metres.m, seen) for user_id, metres, seen in rows]


@dataclass(frozen=True)
class Attendance:
    sessions: list
    on_duty: object  # the open session, if any
    seconds: int  # time on duty that day (an open patrol counts up to now)
    distance_m: float


def patrol_attendance_for_worker(*, user, day: date, now: datetime | None = None) -> Attendance:
    """The worker's patrols overlapping `day`, with the time on duty within that day and the distance walked."""
    now = now or timezone.now()
    start, end = day_bounds(day)
    sessions = list(
        PatrolSession.objects.filter(user=user, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .select_related("patrol_area")
        .order_by("started_at")
    )
    seconds = 0
    for s in sessions:
        until = min(s.ended_at or now, end, now)
        seconds += max(0, int((until - max(s.started_at, start)).total_seconds()))
    return Attendance(
        sessions=sessions,
        on_duty=next((s for s in sessions if s.ended_at is None), None),
        seconds=seconds,
        distance_m=sum(s.distance_m for s in sessions),
    )
