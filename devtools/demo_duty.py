"""The duty part of `seed_demo`: today's roster (值班表) and the grid worker out on patrol with a realistic track.

The roster covers the whole day for the district bureau of 惠城区, the 桥东 street office and the command centre:
last night's shift until 08:00, the day shift (a leader and an officer) until 20:00, then the night shift. The
demo grid worker went on duty (上岗) about two hours ago in 东湖社区 and walks its streets at a stroll, a fix every
30 seconds; the command centre shows them on patrol. Running it again the same day adds nothing.
"""

import math
import random
import uuid
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.utils import timezone

from grids.models import Department, DutyKind, DutyShift, PatrolSession, Region
from grids.services.patrols import patrol_start, patrol_track_add
from grids.services.rosters import roster_add_shifts

# Who stands each shift: (unit, day leader, day officer, night officer); people without a demo login are made.
DAY, NIGHT = time(8, 0), time(20, 0)
FIX_SECONDS = 30
WALK_M_PER_S = 1.1


def _person(username, full_name, phone):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "phone": phone, "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _roster(day, units):
    """The shifts of `day` (and last night's, which ends that morning) for each unit."""
    tz = timezone.get_current_timezone()
    at = lambda d, t: datetime.combine(d, t, tzinfo=tz)  # noqa: E731
    yesterday, tomorrow = day - timedelta(days=1), day + timedelta(days=1)
    shifts = []
    for department, leader, officer, night, phone in units:
        common = {"department": department, "phone": phone}
        shifts += [
            DutyShift(
                user=night, kind=DutyKind.OFFICER, starts_at=at(yesterday, NIGHT), ends_at=at(day, DAY), **common
            ),
            DutyShift(user=leader, kind=DutyKind.LEADER, starts_at=at(day, DAY), ends_at=at(day, NIGHT), **common),
            DutyShift(user=officer, kind=DutyKind.OFFICER, starts_at=at(day, DAY), ends_at=at(day, NIGHT), **common),
            DutyShift(user=night, kind=DutyKind.OFFICER, starts_at=at(day, NIGHT), ends_at=at(tomorrow, DAY), **common),
        ]
    return roster_add_shifts(shifts).created


def _walk(community, start_at, now, rng):
    """Fixes of a stroll through the community from `start_at` to `now`: steady pace, gentle turns, staying inside."""
    area = community.geom
    here = area.point_on_surface
    heading = rng.uniform(0, 2 * math.pi)
    points, at = [], start_at + timedelta(seconds=FIX_SECONDS)
    metres_per_degree = 111_320
    while at <= now:
        for _attempt in range(12):
            step = WALK_M_PER_S * FIX_SECONDS * rng.uniform(0.6, 1.2)
            candidate_heading = heading + rng.gauss(0, 0.35)
            dx = step * math.cos(candidate_heading) / (metres_per_degree * math.cos(math.radians(here.y)))
            dy = step * math.sin(candidate_heading) / metres_per_degree
            candidate = Point(here.x + dx, here.y + dy, srid=4326)
            if area.covers(candidate):
                here, heading = candidate, candidate_heading
                break
            heading += math.pi / 2  # the edge of the community: turn and try again
        points.append({"recorded_at": at, "point": here, "accuracy_m": round(rng.uniform(4, 15), 1), "battery": None})
        at += timedelta(seconds=FIX_SECONDS)
    for i, p in enumerate(points):
        p["battery"] = round(0.92 - 0.0004 * i, 3)
    return points


def _patrol(worker, community, now, rng):
    if PatrolSession.objects.filter(user=worker, ended_at__isnull=True).exists():
        return None
    started = now - timedelta(minutes=rng.randint(100, 130))
    session, _created = patrol_start(
        user=worker, client_id=uuid.uuid4(), started_at=started, point=community.geom.point_on_surface, now=now
    )
    points = _walk(community, started, now - timedelta(seconds=20), rng)
    for chunk in range(0, len(points), 100):
        session, _stored = patrol_track_add(
            user=worker, client_id=session.client_id, points=points[chunk : chunk + 100], now=now
        )
    return session


def seed_duty(*, now, users, district_bureau, street_office, community_code) -> str:
    """Today's roster and the demo grid worker's patrol; a one-line summary."""
    rng = random.Random(f"duty-{timezone.localdate(now)}")
    district = Department.objects.get(code=district_bureau)
    street = Department.objects.get(code=street_office)
    units = [
        (
            district,
            _person("duty-lead-huicheng", "郑海涛", "13902750001"),
            _person("duty-officer-huicheng", "何晓燕", "13902750002"),
            _person("duty-night-huicheng", "罗文斌", "13902750003"),
            "0752-2281100",
        ),
        (
            street,
            _person("duty-lead-qiaodong", "梁志强", "13902750011"),
            users["street-handler"],
            _person("duty-night-qiaodong", "谢丽华", "13902750012"),
            "0752-2133100",
        ),
        (
            None,  # the command centre's own roster
            users["shiftlead"],
            users["dispatcher"],
            _person("duty-night-centre", "宋建平", "13902750021"),
            "0752-12319",
        ),
    ]
    shifts = _roster(timezone.localdate(now), units)
    community = Region.objects.get(code=community_code)
    session = _patrol(users["gridworker"], community, now, rng)
    walked = f"{session.points} fixes, {session.distance_m / 1000:.1f} km" if session else "already on patrol"
    return f"{shifts} roster shifts today, gridworker on patrol ({walked})"
