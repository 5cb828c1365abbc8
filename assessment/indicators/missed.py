"""漏报 (missed reports): problems another channel reported where a grid worker had just walked by.

A case counts as **missed** by grid worker W in a period when all of these hold:

1. it was reported at time t in the period ([start, end); its `report` event) by a channel that is not the grid
   workers' own: its source is not `grid_worker` (public, hotlines 12345/12319, counter, media, sensing, leader,
   Open311) and W is not its reporter;
2. it was filed (a `register` event) before the period end and not voided (no approved void) before then —
   refused, merged and not-registered reports never count;
3. its point p lies in (ST_Covers) a unit grid U that belongs to an active patrol area of the city-management
   network of which W is a worker;
4. W had a patrol session covering t (started at or before t, not ended before t), and that session's track
   passed through U in the window [t − window, t]: a track point recorded in the window lies within `tolerance`
   metres of U (0: inside it).

The same case counts once for each such worker (a point on a boundary between two of a worker's grids, or two
sessions, still count once). The window and the tolerance are settings (ASSESSMENT_MISSED_WINDOW_MINUTES,
ASSESSMENT_MISSED_TOLERANCE_M). A frozen run reads only events up to its last event id and track points up to its
last track point id, so an "as of" recomputation and the list of cases behind a frozen figure read the same rows.

Cost: the statement starts from the period's reports of other channels (the (action, at) index), finds their unit
grid through the regions' spatial index, and asks each (case, worker, session) one EXISTS probe of the GiST index
on (session_id, point) of the track points (grids migration 0004): it never scans a day of track points.
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
    return f"""
    SELECT DISTINCT ON (r.case_id, w.user_id) r.case_id, w.user_id AS worker_id, s.id AS session_id, r.at
    FROM {EVENTS} r
    JOIN {CASES} c ON c.id = r.case_id
    JOIN grids_region u ON u.level = 'unit' AND ST_Covers(u.geom, c.point)
    JOIN grids_patrolarea_unit_grids pu ON pu.region_id = u.id
    JOIN grids_patrolarea a ON a.id = pu.patrolarea_id AND a.active AND a.network = 'city_management'
    JOIN grids_patrolarea_workers w ON w.patrolarea_id = a.id
    JOIN grids_patrolsession s ON s.user_id = w.user_id AND s.started_at <= r.at
         AND (s.ended_at IS NULL OR s.ended_at >= r.at)
    WHERE r.action = 'report' AND r.at >= %(start)s AND r.at < %(end)s{_upto("r", upto)}
      AND c.source <> 'grid_worker' AND c.reporter_id IS DISTINCT FROM w.user_id
      AND EXISTS (SELECT 1 FROM {EVENTS} f WHERE f.case_id = r.case_id AND f.action = 'register'
                  AND f.at < %(end)s{_upto("f", upto)})
      AND NOT EXISTS (SELECT 1 FROM {EVENTS} v WHERE v.case_id = r.case_id AND v.action = 'approve_void'
                      AND v.at < %(end)s{_upto("v", upto)})
      AND EXISTS (SELECT 1 FROM grids_trackpoint p WHERE p.session_id = s.id
                  AND p.recorded_at >= r.at - %(missed_window)s AND p.recorded_at <= r.at{_track_upto(track_upto)}
                  AND {near})
    ORDER BY r.case_id, w.user_id, s.id
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
