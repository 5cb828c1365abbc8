"""漏报 (missed reports): problems another channel reported where a grid worker had just walked by.

A case counts as **missed** by grid worker W in a period when all of these hold:

1. it was reported at time t in the period ([start, end); its `report` event) by a channel that is not the grid
   workers' own: its source is not `grid_worker` (public, hotlines 12345/12319, counter, media, sensing, leader,
   Open311) and W is not its reporter;
2. it was filed (a `register` event) before the period end and not voided (no approved void) before then —
   refused, merged and not-registered reports never count;
3. its point p lies in a unit grid U — the unit grid the case was located in when it was reported (`case.region`:
   the deepest grid whose boundary covers p, region_locate) — that belongs to an active patrol area of the
   city-management network of which W is a worker;
4. W had a patrol session covering t (started at or before t, not ended before t), and that session's track
   passed through U in the window [t − window, t]: a track point recorded in the window lies within `tolerance`
   metres of U (0: inside it).

The same case counts once for each such worker (two sessions of one worker covering t still count once). The
window and the tolerance are settings (ASSESSMENT_MISSED_WINDOW_MINUTES, ASSESSMENT_MISSED_TOLERANCE_M). A
frozen run reads only events up to its last event id and track points up to its last track point id, so an
"as of" recomputation and the list of cases behind a frozen figure read the same rows.

Cost: the statement starts from the period's reports of other channels (the (action, at) index), reads their unit
grid by key, finds the patrol covering t with one probe of the GiST index on (user, span) of the sessions, and asks
each (case, worker, session) one probe of the GiST index on (session, point) of the track points (both in grids
migration 0004): it never scans a day of track points, nor anyone's patrol history.
"""

from django.conf import settings

EVENTS = "cases_caseevent"
CASES = "cases_case"

# Metres per degree of latitude; a degree of longitude is this times cos(latitude).
METRES_PER_DEGREE = 111_320.0


def window_minutes():
    return getattr(settings, "ASSESSMENT_MISSED_WINDOW_MINUTES", 120)


def tolerance_m():
    return float(getattr(settings, "ASSESSMENT_MISSED_TOLERANCE_M", 30))


def _upto(alias, upto):
    return "" if upto is None else f" AND {alias}.id <= %(upto)s"


def _track_upto(track_upto):
    return "" if track_upto is None else " AND p.id <= %(track_upto)s"


def missed_sql(upto=None, track_upto=None):
    """Rows (case_id, worker_id, session_id, at) of the period's missed reports (params: `missed_params`)."""
    # Near the grid: the bounding box grown by the tolerance (in degrees, wider in longitude away from the
    # equator) lets the GiST index pick the session's candidate points; the geography test then measures metres.
    near = (
        "p.point && ST_Expand(u.geom, %(tolerance_deg)s / cos(radians(greatest(abs(ST_YMin(u.geom)), "
        "abs(ST_YMax(u.geom))))), %(tolerance_deg)s)"
        " AND ST_DWithin(p.point::geography, u.geom::geography, %(tolerance_m)s)"
    )
    # Steps fenced (MATERIALIZED, LATERAL … OFFSET 0 / LIMIT 1) so the planner cannot turn them around: the period's
    # filed reports of other channels in a unit grid (few), the grid's areas' workers and their patrol covering t (a
    # probe of the sessions' (user, span) GiST index), then one probe of the track index per (case, worker,
    # session) — never a join over all sessions or track points.
    return f"""
    WITH located AS MATERIALIZED (
        SELECT r.case_id, r.at, c.reporter_id, u.id AS unit_id, u.geom
        FROM {EVENTS} r JOIN {CASES} c ON c.id = r.case_id
        JOIN grids_region u ON u.id = c.region_id AND u.level = 'unit'
        WHERE r.action = 'report' AND r.at >= %(start)s AND r.at < %(end)s{_upto("r", upto)}
          AND c.source <> 'grid_worker'
          AND EXISTS (SELECT 1 FROM {EVENTS} f WHERE f.case_id = r.case_id AND f.action = 'register'
                      AND f.at < %(end)s{_upto("f", upto)})
          AND NOT EXISTS (SELECT 1 FROM {EVENTS} v WHERE v.case_id = r.case_id AND v.action = 'approve_void'
                          AND v.at < %(end)s{_upto("v", upto)})
    ),
    candidates AS MATERIALIZED (
        SELECT l.case_id, l.at, x.worker_id, x.session_id, l.geom
        FROM located l CROSS JOIN LATERAL (
            SELECT w.user_id AS worker_id, s.id AS session_id
            FROM grids_patrolarea_unit_grids pu
            JOIN grids_patrolarea a ON a.id = pu.patrolarea_id AND a.active AND a.network = 'city_management'
            JOIN grids_patrolarea_workers w ON w.patrolarea_id = a.id
            JOIN grids_patrolsession s ON s.user_id = w.user_id AND tstzrange(s.started_at, s.ended_at, '[]') @> l.at
            WHERE pu.region_id = l.unit_id AND w.user_id IS DISTINCT FROM l.reporter_id
            OFFSET 0
        ) x
    )
    SELECT DISTINCT ON (k.case_id, k.worker_id) k.case_id, k.worker_id, k.session_id, k.at
    FROM candidates k
    CROSS JOIN LATERAL (
        SELECT 1 FROM grids_trackpoint p
        WHERE p.session_id = k.session_id AND {near.replace("u.geom", "k.geom")}
          AND p.recorded_at >= k.at - %(missed_window)s AND p.recorded_at <= k.at{_track_upto(track_upto)}
        LIMIT 1
    ) hit
    ORDER BY k.case_id, k.worker_id, k.session_id
    """  # noqa: S608 - constant fragments; the period, ids and settings travel as parameters


def missed_params(track_upto=None):
    """The settings part of the parameters (the period's part comes from sql._params)."""
    from datetime import timedelta

    tolerance = tolerance_m()
    params = {
        "missed_window": timedelta(minutes=window_minutes()),
        "tolerance_m": tolerance,
        "tolerance_deg": tolerance / METRES_PER_DEGREE,
    }
    if track_upto is not None:
        params["track_upto"] = track_upto
    return params


def missed_rule():
    """The rule's settings as a run records them (for auditors reading a frozen figure)."""
    return {"window_minutes": window_minutes(), "tolerance_m": tolerance_m()}
