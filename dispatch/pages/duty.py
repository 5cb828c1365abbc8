"""The command centre's duty page (/command/duty/): the day's roster (值班表) — who is on duty now and next, per
department and patrol area, with the numbers to call — and the grid workers out on patrol with their last fix;
plus the map layer of those workers (/command/map/patrols/).

Phones follow the rule for callers' phones (cases.selectors.may_see_contact): whole for the operators, shift leads
and dispatchers who call people, masked for everyone else.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.scope import user_scope
from cases.selectors import CONTACT_ROLES, mask_phone
from grids.duty_selectors import day_bounds, duty_shift_list_for_day, patrol_list_on_duty_for_user

from .access import command_required, page


def may_see_duty_phones(user) -> bool:
    """The centre's desk and dispatchers call the people on duty; others see masked numbers."""
    scope = user_scope(user)
    return scope.everything or bool(set(CONTACT_ROLES) & scope.roles)


@dataclass
class RosterGroup:
    title: str
    now: list
    next: list
    later: list


def _phone(shift, whole):
    phone = (shift.phone or shift.user.phone or "").strip()
    return phone if whole or not phone else mask_phone(phone)


# How far ahead today's roster looks for each group's next shift (a night's handover is after midnight).
NEXT_SHIFT_LOOKAHEAD = timedelta(hours=24)


def _groups(shifts, now, whole, day_end):
    """Shifts grouped by department or patrol area, each split into on duty now, next (the earliest coming
    shifts, which may start after the day) and the rest of the day (coming and ended ones)."""
    groups = {}
    for shift in shifts:
        key = ("d", shift.department_id) if shift.department_id else ("a", shift.patrol_area_id)
        title = str(shift.department or _("Command centre"))
        if shift.patrol_area_id:
            title = f"{shift.patrol_area} · {shift.patrol_area.community.name}"
        group = groups.setdefault(key, RosterGroup(title, [], [], []))
        shift.phone_shown = _phone(shift, whole)
        if shift.starts_at <= now < shift.ends_at:
            group.now.append(shift)
        elif shift.starts_at > now:
            group.next.append(shift)
        else:
            group.later.append(shift)
    # A group with none of its shifts on the day (only the coming ones read for "next") is not on the day's roster.
    groups = {key: g for key, g in groups.items() if g.now or g.later or any(s.starts_at < day_end for s in g.next)}
    for group in groups.values():
        if group.next:
            first = min(s.starts_at for s in group.next)
            group.later = [s for s in group.next if s.starts_at != first and s.starts_at < day_end] + group.later
            group.next = [s for s in group.next if s.starts_at == first]
    return list(groups.values())


def _age_minutes(seen, now):
    return None if seen is None else max(0, int((now - seen).total_seconds() // 60))


def _patrol_rows(user, now):
    rows = []
    for session in patrol_list_on_duty_for_user(user=user):
        age = _age_minutes(session.last_seen_at, now)
        rows.append(
            {
                "session": session,
                "age": age,
                "stale": age is None or age > settings.PATROL_FIX_STALE_MINUTES,
                "hours": round((now - session.started_at).total_seconds() / 3600, 1),
            }
        )
    return rows


def _day(text):
    """(day, error) from ?day=YYYY-MM-DD; (None, "") when not given."""
    if not text:
        return None, ""
    try:
        day = date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        day = None
    if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        return None, _("Give the day as YYYY-MM-DD.")
    return day, ""


@command_required
@page
@require_GET
def command_duty(request):
    now = timezone.now()
    today = timezone.localdate(now)
    day, error = _day(request.GET.get("day", ""))
    day = day or today
    day_end = day_bounds(day)[1]
    until = now + NEXT_SHIFT_LOOKAHEAD if day == today else None
    shifts = list(duty_shift_list_for_day(user=request.user, day=day, until=until))
    context = {
        "day": day,
        "today": today,
        "now": now,
        "error": error,
        "groups": _groups(shifts, now, may_see_duty_phones(request.user), day_end),
        "patrols": _patrol_rows(request.user, now),
        "stale_minutes": settings.PATROL_FIX_STALE_MINUTES,
    }
    return render(request, "command/duty.html", context)


@command_required
@require_GET
def command_map_patrols(request):
    """Grid workers on patrol in the user's grids: their last fix and its age (the command map's layer)."""
    now = timezone.now()
    workers = []
    for row in _patrol_rows(request.user, now):
        session = row["session"]
        if session.last_point is None:
            continue
        workers.append(
            {
                "name": str(session.user),
                "username": session.user.username,
                "lon": round(session.last_point.x, 6),
                "lat": round(session.last_point.y, 6),
                "seen": session.last_seen_at.isoformat() if session.last_seen_at else None,
                "age_minutes": row["age"],
                "stale": row["stale"],
                "since": session.started_at.isoformat(),
            }
        )
    return JsonResponse({"workers": workers, "at": now.isoformat()})
