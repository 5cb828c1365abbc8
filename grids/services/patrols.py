"""Patrols (上岗 … 下岗) and their tracks, as the grid worker's phone sends them: possibly late, possibly twice.

The phone chooses each patrol's `client_id` when the worker taps 上岗, so a start queued offline and sent twice
makes one session; track points are unique per (session, recorded_at), so a batch sent again adds nothing. The
session's summary (points, distance, last position) is recomputed from its track in one statement after every
batch: a batch recorded offline and arriving after later ones still lands in the right order.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from grids.models import PatrolArea, PatrolSession, TrackPoint

# Phones' clocks drift; a time this far ahead of the server's is still "now".
CLOCK_SKEW = timedelta(minutes=2)
# A start or end queued offline may arrive late, but not from another week.
MAX_AGE = timedelta(hours=24)


def _field_error(name, message):
    return ValidationError({name: [message]})


def _check_time(name, value: datetime, now: datetime, *, not_before: datetime | None = None) -> datetime:
    if value > now + CLOCK_SKEW:
        raise _field_error(name, _("This time lies in the future."))
    if value < now - MAX_AGE:
        raise _field_error(name, _("This time is more than a day ago."))
    if not_before is not None and value < not_before:
        raise _field_error(name, _("This time lies before the patrol started."))
    return min(value, now)


def patrol_check_worker(*, user) -> None:
    """Only grid workers go on patrol (403 for anyone else)."""
    if Role.GRID_WORKER not in user_scope(user).roles:
        raise PermissionDenied(_("Only grid workers go on patrol."))


def _patrol_area_for(user):
    """The worker's patrol area of the city-management network, when they have exactly one; else none."""
    areas = list(PatrolArea.objects.filter(workers=user, active=True).order_by("code").values_list("pk", flat=True)[:2])
    return areas[0] if len(areas) == 1 else None


def patrol_start(
    *, user, client_id, started_at: datetime | None = None, point: Point | None = None, now: datetime | None = None
) -> tuple[PatrolSession, bool]:
    """上岗: open the worker's patrol `client_id` (or return it as it is when it exists: a repeat changes nothing).

    A worker has at most one open patrol; an older one still open (a 下岗 forgotten or lost) is ended at its last
    fix. Returns (session, created). Raises PermissionDenied for non grid workers, ValidationError for bad times
    or a client_id another person's phone already used.
    """
    patrol_check_worker(user=user)
    now = now or timezone.now()
    existing = PatrolSession.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise _field_error("client_id", _("This patrol id is already used."))
        return existing, False
    started_at = _check_time("started_at", started_at or now, now)
    try:
        with transaction.atomic():
            _end_forgotten(user=user, before=started_at)
            session = PatrolSession.objects.create(
                user=user,
                client_id=client_id,
                started_at=started_at,
                start_point=point,
                last_point=point,
                last_seen_at=started_at if point is not None else None,
                patrol_area_id=_patrol_area_for(user),
            )
    except IntegrityError:
        # The same start sent twice at once: the other request created it first.
        session = PatrolSession.objects.filter(client_id=client_id, user=user).first()
        if session is None:
            raise _field_error("client_id", _("You are already on patrol.")) from None
        return session, False
    return session, True


def _end_forgotten(*, user, before: datetime) -> None:
    """End the worker's open patrol (there is at most one) at its last fix, not later than `before`."""
    for old in PatrolSession.objects.select_for_update().filter(user=user, ended_at__isnull=True):
        end = min(max(old.last_seen_at or old.started_at, old.started_at), before)
        old.ended_at = max(end, old.started_at)
        old.end_point = old.last_point
        old.save(update_fields=["ended_at", "end_point"])


def _own_session(*, user, client_id, lock=False) -> PatrolSession:
    sessions = PatrolSession.objects.filter(user=user, client_id=client_id)
    if lock:
        sessions = sessions.select_for_update()
    session = sessions.first()
    if session is None:
        raise Http404(_("No such patrol of yours."))
    return session


@transaction.atomic
def patrol_track_add(*, user, client_id, points: list[dict], now: datetime | None = None) -> tuple[PatrolSession, int]:
    """Add a batch of track points (dicts: recorded_at, point, accuracy_m, battery) to the worker's patrol.

    Points already stored (same recorded_at) are skipped, so a batch sent again stores nothing. Every point must
    lie inside the patrol (not before its start, not after its end, not in the future), else nothing is stored
    (400 with the point's index). Returns (session with its summary updated, points stored).
    """
    now = now or timezone.now()
    if not points:
        raise _field_error("points", _("Send at least one point."))
    if len(points) > settings.PATROL_TRACK_BATCH_MAX:
        raise _field_error(
            "points", _("Send at most %(max)d points at once.") % {"max": settings.PATROL_TRACK_BATCH_MAX}
        )
    # The lock makes concurrent batches of one patrol recompute its summary one after the other.
    session = _own_session(user=user, client_id=client_id, lock=True)
    rows = []
    for index, item in enumerate(points):
        at = item["recorded_at"]
        if at > now + CLOCK_SKEW:
            raise _field_error("points", _("Point %(n)d was recorded in the future.") % {"n": index + 1})
        if at < session.started_at - CLOCK_SKEW or (session.ended_at and at > session.ended_at + CLOCK_SKEW):
            raise _field_error("points", _("Point %(n)d was recorded outside this patrol.") % {"n": index + 1})
        rows.append(
            TrackPoint(
                session=session,
                user_id=user.pk,
                recorded_at=at,
                point=item["point"],
                accuracy_m=item.get("accuracy_m"),
                battery=item.get("battery"),
            )
        )
    before = session.points
    TrackPoint.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    _summarise(session.pk)
    session.refresh_from_db()
    return session, session.points - before


# Points, distance (sum of the steps between consecutive fixes in time order, on the spheroid) and the latest fix,
# all from the track in one statement, so a late batch of older points is counted where it belongs.
SUMMARY_SQL = """
UPDATE grids_patrolsession s
   SET points = t.n, distance_m = t.d, last_seen_at = GREATEST(t.last_at, s.last_seen_at),
       last_point = CASE WHEN s.last_seen_at IS NULL OR t.last_at >= s.last_seen_at THEN t.last_point
                         ELSE s.last_point END
  FROM (SELECT count(*) AS n, COALESCE(sum(step), 0) AS d, max(recorded_at) AS last_at,
               (array_agg(point ORDER BY recorded_at DESC))[1] AS last_point
          FROM (SELECT recorded_at, point,
                       ST_Distance(point::geography, (lag(point) OVER (ORDER BY recorded_at))::geography) AS step
                  FROM grids_trackpoint WHERE session_id = %(id)s) steps) t
 WHERE s.id = %(id)s AND t.n > 0
"""


def _summarise(session_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY_SQL, {"id": session_id})


@transaction.atomic
def patrol_end(
    *, user, client_id, ended_at: datetime | None = None, point: Point | None = None, now: datetime | None = None
) -> PatrolSession:
    """下岗: end the worker's patrol; ending it again changes nothing (the first end stands)."""
    now = now or timezone.now()
    session = _own_session(user=user, client_id=client_id, lock=True)
    if session.ended_at is not None:
        return session
    ended_at = _check_time("ended_at", ended_at or now, now, not_before=session.started_at - CLOCK_SKEW)
    session.ended_at = max(ended_at, session.started_at)
    session.end_point = point or session.last_point
    session.save(update_fields=["ended_at", "end_point"])
    return session
