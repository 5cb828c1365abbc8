"""The assessment's SQL: one scan of a period's events per query, conditional aggregates per unit.

`unit_counts` answers every department and every leaf grid in one statement (GROUPING SETS over the same
scan); `post_counts` answers the posts. The period's events are read through the (action, at) index; facts that
live in a case's other events come from window functions over the same rows, so nothing is looked up per case
(and nothing loops over cases in Python).

Rules (counts.py says what each figure means):

- An event belongs to the period when start <= at < end. A frozen run also reads only events with
  id <= upto (the last event id it saw), so a recomputation "as of" that run reads the same rows.
- A case's events are in time order by id (the transition service appends them under a row lock).
- The windows look at a case's dispatch, check, feedback, close and reopen events of the period, in order. By the
  workflow, a feedback is followed by a check, and a passed check by the close (or a void); a failed check
  and a dispatch are followed by the next feedback (or an approved return, then a dispatch).
- closed_after (feedback rows): the next two of those events are a check and the close, both before the period
  end: this round of handling passed its check and the case was closed.
- handling_seconds (feedback rows): seconds since the start of this handling round: the event before it among
  those, which is the dispatch, the re-dispatch (改派), the failed check or the reopening after a dissatisfied
  call-back (reopen) that started the round — or, when the
  round started before the period, the latest such event found by one index probe on (case_id, id).
- effective (report rows): the case was filed (register) or fixed on the spot (self_close) before the period end.
- self_closed (report rows): the case was confirmed fixed on the spot (self_close) before the period end.
- voided_later (register rows): the case's void was approved before the period end.
- returned_later (dispatch rows): a return was approved after this dispatch, before the period end. A case
  reaches `to_dispatch` again only through an approved return, so the first return after a dispatch is
  that dispatch's.
- overdue_<stage> rows (超期未办): a stage instance (handling, verify or check) whose deadline fell in
  [start, bound) — bound = min(end, now) — and that had not ended by the period end: either its ending event
  came later (at >= end, or id > upto for an "as of" run), carrying the deadline the stage had when it ended,
  or it is still running (the case row's stage and deadline; for an "as of" run, only when no event after the
  run started that stage or assigned its task). Handling rows belong to the department of the
  ending event (the lead department) or the case's lead department, and to the grid; verify and check rows
  to the grid worker who did the task, or to whom it is assigned.
- satisfaction (rate and callback rows): the rating in the event's data (满意度), NULL on every other row.
- outcome (order_issued rows, 督办): how the supervision order ended by the period end — the first reply or withdrawal
  of the same order (`data.order`) after it, before the period end (and, for an "as of" run, among the events the
  run read): 'on_time' for a reply at or before the reply deadline the issue event recorded (`data.reply_deadline`),
  'late' for a later reply, 'withdrawn'; NULL while it is unanswered. One index probe on (case_id, id) per order.
  The row belongs to the department the order was issued to (the case's lead department then) and to the grid.
- transfer_to_enforcement rows (移送): stage_met is whether the transfer was made by the deadline of the stage the
  case was in (at <= stage_deadline; NULL without a limit). The row belongs to the event's department (the
  enforcement body the case went to) and to the grid.
- enforcement rows (the chain's own events, `cases_enforcementevent`, listed under their source case): pseudo-actions
  `enf_opened` (a chain's transfer in the period; closed_after: the chain ended — filed away or declined — before
  the period end), `enf_confirm` (the confirmation step 违法确认 ended in the period, by confirming or declining;
  stage_met: by its deadline), `enf_listing_due` (a 挂牌督办 listing whose deadline fell in [start, bound); stage_met:
  lifted — its rectification verified as passed — by that deadline, before the period end). Opened and confirm
  rows belong to the event's department (the enforcement body), listing rows to the listed responsible body; all
  to the source case's grid. `enforcement_upto` bounds the chain's events as `upto` bounds the case events.
- missed rows (漏报, posts only): one row per (case, grid worker) of missed.py's rule, with the pseudo-action
  `missed`, the report's time and the worker as actor in the grid-worker role. Only these rows read the patrol
  tracks; `track_upto` bounds the track points a frozen run read as `upto` bounds its events.

The migration 0002 of this app adds two partial indexes (events by stage deadline, cases by stage deadline)
that keep the overdue parts to a few index pages.
"""

from django.db import connection, transaction

# Every statement here is built from this module's constant fragments (action names, column names) and
# counts.py's conditions; periods, ids and unit keys always travel as query parameters.
from .counts import HANDLING_END_ACTIONS, POST_COUNTS, UNIT_COUNTS
from .missed import missed_params, missed_sql

EVENTS = "cases_caseevent"
ENF_EVENTS = "cases_enforcementevent"
ENF_CASES = "cases_enforcementcase"
CASES = "cases_case"
USERS = "accounts_user"

# Events the windows need (dispatch, re-dispatch, check, feedback, close) and the others the unit counts read.
WINDOWED = ("dispatch", "redispatch", "check", "feedback", "close", "reopen")
UNIT_PLAIN = (
    "accept",
    "self_close",
    "register",
    "approve_void",
    "verify",
    "approve_return",
    "request_extension",
    "approve_extension",
    "rate",
    "callback",
)
POST_ACTIONS = (
    "report",
    "accept",
    "register",
    "verify",
    "dispatch",
    "check",
    "close",
    "request_verification",
    "request_check",
    # read only for the cohort facts of other rows
    "self_close",
    "approve_void",
    "approve_return",
)
POST_ROLES = ("grid_worker", "operator", "shift_lead", "dispatcher")


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _upto(alias, upto):
    return "" if upto is None else f" AND {alias}.id <= %(upto)s"


def _later(alias, upto):
    """An ending event that came after the period (or after the run's last event, for an as-of run)."""
    return f"{alias}.at >= %(end)s" if upto is None else f"({alias}.at >= %(end)s OR {alias}.id > %(upto)s)"


# The actions that start (or assign) a stage instance: a case row's running stage counts for an "as of" run only
# when none of them came after the run's last event (else the stage, or its task, did not exist yet then).
STARTS = {
    "handling": ("dispatch", "redispatch", "check", "reopen"),
    "verify": ("request_verification",),
    "check": ("feedback", "request_check"),
}


def _running_then(upto, stages):
    if upto is None:
        return ""
    actions = sorted({a for stage in stages for a in STARTS[stage]})
    later = f"SELECT 1 FROM {EVENTS} n WHERE n.case_id = c.id AND n.id > %(upto)s AND n.action IN {_in(actions)}"  # noqa: S608
    return f" AND NOT EXISTS ({later})"


def _period(alias, actions, upto, narrow=""):
    return (
        f"{alias}.action IN {_in(actions)} AND {alias}.at >= %(start)s AND {alias}.at < %(end)s"
        f"{_upto(alias, upto)}{narrow}"
    )


# Narrowing to one region (for the case list behind a figure) can happen inside the scan: a case never
# changes its grid. Departments and posts are narrowed outside, after the windows saw the whole case.
REGION_NARROW = (" AND e.region_path LIKE %(key)s", " AND c.region_path LIKE %(key)s")


def _enf_upto(alias, enforcement_upto):
    return "" if enforcement_upto is None else f" AND {alias}.id <= %(enforcement_upto)s"


def _enf_later(alias, enforcement_upto):
    """A chain event that came before the period end (and, for an as-of run, that the run read)."""
    return f"{alias}.at < %(end)s{_enf_upto(alias, enforcement_upto)}"


def orders_and_enforcement_sql(upto=None, enforcement_upto=None, region=False):
    """The `ev` rows of 督办 (order_issued with its outcome), 移送 and the enforcement chains (module docstring)."""
    narrow, _narrow_case = REGION_NARROW if region else ("", "")
    enf_narrow = narrow.replace("e.", "x.")
    settled = f"""(
        SELECT CASE WHEN s.action = 'order_withdrawn' THEN 'withdrawn'
                    WHEN s.at <= (e.data ->> 'reply_deadline')::timestamptz THEN 'on_time' ELSE 'late' END
        FROM {EVENTS} s
        WHERE s.case_id = e.case_id AND s.id > e.id AND s.action IN ('order_replied', 'order_withdrawn')
          AND s.data ->> 'order' = e.data ->> 'order' AND s.at < %(end)s{_upto("s", upto)}
        ORDER BY s.id LIMIT 1)"""  # noqa: S608
    ended = f"""EXISTS (
        SELECT 1 FROM {ENF_EVENTS} d WHERE d.enforcement_id = x.enforcement_id AND d.id > x.id
          AND d.to_state IN ('closed', 'declined') AND {_enf_later("d", enforcement_upto)})"""  # noqa: S608
    return f"""
    SELECT e.case_id, e.action, e.to_status, e.stage, NULL::boolean, e.department_id, e.region_path,
           NULL::boolean, NULL::float, NULL::text, {settled} AS outcome
    FROM {EVENTS} e WHERE {_period("e", ("order_issued",), upto, narrow)}
    UNION ALL
    SELECT e.case_id, e.action, e.to_status, e.stage, e.at <= e.stage_deadline, e.department_id, e.region_path,
           NULL, NULL, NULL, NULL
    FROM {EVENTS} e WHERE {_period("e", ("transfer_to_enforcement",), upto, narrow)}
    UNION ALL
    SELECT c.source_id, CASE WHEN x.action = 'transfer' THEN 'enf_opened' ELSE 'enf_confirm' END, x.to_state,
           x.step, x.step_met, x.department_id, x.region_path,
           CASE WHEN x.action = 'transfer' THEN {ended} END, NULL, NULL, NULL
    FROM {ENF_EVENTS} x JOIN {ENF_CASES} c ON c.id = x.enforcement_id
    WHERE (x.action = 'transfer' OR (x.action IN ('confirm', 'decline') AND x.step = 'confirm'))
      AND x.at >= %(start)s AND x.at < %(end)s{_enf_upto("x", enforcement_upto)}{enf_narrow}
    UNION ALL
    {listings_sql(enforcement_upto, enf_narrow)}
    """  # noqa: S608


def listings_sql(enforcement_upto=None, enf_narrow=""):
    """The `ev` rows of the 挂牌督办 listings whose deadline fell in [start, bound), lifted by then or not."""
    lifted = f"""EXISTS (
        SELECT 1 FROM {ENF_EVENTS} d WHERE d.enforcement_id = x.enforcement_id AND d.id > x.id
          AND d.action = 'verify' AND (d.data ->> 'passed')::boolean
          AND d.at <= (x.data ->> 'deadline')::timestamptz AND {_enf_later("d", enforcement_upto)})"""  # noqa: S608
    return f"""
    SELECT c.source_id, 'enf_listing_due', x.to_state, x.step, {lifted}, x.department_id, x.region_path,
           NULL, NULL, NULL, NULL
    FROM {ENF_EVENTS} x JOIN {ENF_CASES} c ON c.id = x.enforcement_id
    WHERE x.action = 'list' AND (x.data ->> 'deadline')::timestamptz >= %(start)s
      AND (x.data ->> 'deadline')::timestamptz < %(bound)s{_enf_upto("x", enforcement_upto)}{enf_narrow}
    """  # noqa: S608


def unit_events_sql(upto=None, region=False, enforcement_upto=None):
    """The `ev` rows for departments and regions: the period's events plus the overdue-handling rows.

    The period's events are read once (`base`, materialized) and split: plain rows, and the rows the windows
    need, sorted by case.
    """
    narrow, narrow_case = REGION_NARROW if region else ("", "")
    return f"""
    WITH base AS MATERIALIZED (
        SELECT e.id, e.case_id, e.action, e.to_status, e.stage, e.stage_met, e.at, e.department_id, e.region_path,
               e.data ->> 'satisfaction' AS satisfaction
        FROM {EVENTS} e WHERE {_period("e", UNIT_PLAIN + WINDOWED, upto, narrow)}
    )
    SELECT b.case_id, b.action, b.to_status, b.stage, b.stage_met, b.department_id, b.region_path,
           NULL::boolean AS closed_after, NULL::float AS handling_seconds, b.satisfaction, NULL::text AS outcome
    FROM base b WHERE b.action IN {_in(UNIT_PLAIN)}
    UNION ALL
    SELECT w.case_id, w.action, w.to_status, w.stage, w.stage_met, w.department_id, w.region_path,
           w.action = 'feedback' AND w.next1 = 'check' AND w.next2 = 'close' AS closed_after,
           CASE WHEN w.action = 'feedback' THEN extract(epoch FROM w.at - coalesce(w.previous_at, (
               SELECT p.at FROM {EVENTS} p
               WHERE p.case_id = w.case_id AND p.id < w.id AND p.to_status = 'handling'
                 AND p.action IN ('dispatch', 'redispatch', 'check', 'reopen')
               ORDER BY p.id DESC LIMIT 1))) END,
           NULL, NULL
    FROM (
        SELECT b.*, lead(b.action, 1) OVER w AS next1, lead(b.action, 2) OVER w AS next2,
               lag(b.at) OVER w AS previous_at
        FROM base b WHERE b.action IN {_in(WINDOWED)}
        WINDOW w AS (PARTITION BY b.case_id ORDER BY b.id)
    ) w
    UNION ALL
    {overdue_handling_sql(upto, narrow, narrow_case)}
    UNION ALL
    {orders_and_enforcement_sql(upto, enforcement_upto, region)}
    """  # noqa: S608


def overdue_handling_sql(upto=None, narrow="", narrow_case=""):
    """The `ev` rows of the handling stages overdue, not ended by the period end (超期未处置): ended later, or
    running."""
    return f"""
    SELECT e.case_id, 'overdue_handling', NULL, NULL, NULL, e.department_id, e.region_path, NULL, NULL, NULL, NULL
    FROM {EVENTS} e
    WHERE e.action IN {_in(HANDLING_END_ACTIONS)} AND e.stage = 'handling' AND e.stage_deadline IS NOT NULL
      AND e.stage_deadline >= %(start)s AND e.stage_deadline < %(bound)s AND {_later("e", upto)}{narrow}
    UNION ALL
    SELECT c.id, 'overdue_handling', NULL, NULL, NULL, c.lead_department_id, c.region_path, NULL, NULL, NULL, NULL
    FROM {CASES} c
    WHERE c.stage = 'handling' AND c.stage_deadline IS NOT NULL
      AND c.stage_deadline >= %(start)s AND c.stage_deadline < %(bound)s{narrow_case}{_running_then(upto, ["handling"])}
    """  # noqa: S608


def post_events_sql(upto=None, track_upto=None):
    """The `ev` rows for posts: the period's events with their cohort facts, overdue verify/check tasks, and the
    missed reports of grid workers (missed.py)."""
    return f"""
    SELECT e.case_id, e.action, e.to_status, e.stage, e.stage_met, e.stage_deadline, e.at, e.actor_id, e.actor_role,
           CASE WHEN e.action = 'report'
                THEN coalesce(bool_or(e.action IN ('register', 'self_close')) OVER later, false) END AS effective,
           CASE WHEN e.action = 'report'
                THEN coalesce(bool_or(e.action = 'self_close') OVER later, false) END AS self_closed,
           CASE WHEN e.action = 'register'
                THEN coalesce(bool_or(e.action = 'approve_void') OVER later, false) END AS voided_later,
           CASE WHEN e.action = 'dispatch'
                THEN coalesce(bool_or(e.action = 'approve_return') OVER later, false) END AS returned_later
    FROM {EVENTS} e WHERE {_period("e", POST_ACTIONS, upto)}
    WINDOW later AS (PARTITION BY e.case_id ORDER BY e.id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
    UNION ALL
    {post_overdue_and_missed_sql(upto, track_upto)}
    """  # noqa: S608


def post_overdue_and_missed_sql(upto=None, track_upto=None):
    """The `ev` rows of the posts read outside the period's own events: verify and check tasks overdue, not done by
    the period end (ended later, or running), and the missed reports."""
    return f"""
    SELECT e.case_id, 'overdue_' || e.stage, NULL, NULL, NULL, NULL, NULL, e.actor_id, e.actor_role,
           NULL, NULL, NULL, NULL
    FROM {EVENTS} e
    WHERE e.action IN ('verify', 'check') AND e.stage IN ('verify', 'check') AND e.stage_deadline IS NOT NULL
      AND e.stage_deadline >= %(start)s AND e.stage_deadline < %(bound)s AND {_later("e", upto)}
    UNION ALL
    SELECT c.id, 'overdue_' || c.stage, NULL, NULL, NULL, NULL, NULL, c.assignee_id, 'grid_worker',
           NULL, NULL, NULL, NULL
    FROM {CASES} c
    WHERE c.stage IN ('verify', 'check') AND c.assignee_id IS NOT NULL AND c.stage_deadline IS NOT NULL
      AND c.stage_deadline >= %(start)s AND c.stage_deadline < %(bound)s{_running_then(upto, ["verify", "check"])}
    UNION ALL
    SELECT m.case_id, 'missed', NULL, NULL, NULL, NULL, m.at, m.worker_id, 'grid_worker', NULL, NULL, NULL, NULL
    FROM ({missed_sql(upto, track_upto)}) m
    """  # noqa: S608


def _aggregates(counts):
    """One conditional aggregate per count."""
    parts = []
    for c in counts:
        if c.summed:
            parts.append(f"coalesce(sum({c.summed}) FILTER (WHERE {c.sql}), 0)::float AS {c.name}")
        else:
            parts.append(f"count(*) FILTER (WHERE {c.sql}) AS {c.name}")
    return ",\n       ".join(parts)


def unit_counts_sql(upto=None, enforcement_upto=None):
    return f"""
    SELECT GROUPING(department_id) = 1 AS by_region, department_id, region_path,
       {_aggregates(UNIT_COUNTS)}
    FROM ({unit_events_sql(upto, enforcement_upto=enforcement_upto)}) ev
    GROUP BY GROUPING SETS ((department_id), (region_path))
    """  # noqa: S608


def post_counts_sql(upto=None, track_upto=None):
    return f"""
    WITH ev AS ({post_events_sql(upto, track_upto)}),
    grouped AS (
        SELECT actor_id, actor_role, {_aggregates(POST_COUNTS)}
        FROM ev WHERE actor_id IS NOT NULL AND actor_role IN {_in(POST_ROLES)}
        GROUP BY actor_id, actor_role
    )
    SELECT u.username, u.full_name, g.* FROM grouped g JOIN {USERS} u ON u.id = g.actor_id
    """  # noqa: S608


def _params(start, end, bound, upto, track_upto=None, enforcement_upto=None):
    params = {"start": start, "end": end, "bound": min(end, bound), **missed_params(track_upto)}
    if upto is not None:
        params["upto"] = upto
    if enforcement_upto is not None:
        params["enforcement_upto"] = enforcement_upto
    return params


def _run(sql, params):
    """Run one assessment statement. JIT compilation costs more than it saves on these scans (seconds of
    compile for a sub-second query), so it is switched off for the statement's transaction only."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        # The windows sort one period's dispatch/check/feedback/close rows: keep that sort in memory.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return cursor.fetchall()


def unit_counts(*, start, end, bound, upto=None, enforcement_upto=None):
    """({department_id: counts}, {leaf region_path: counts}) for the period; counts are {name: number}.

    `enforcement_upto` reads only the enforcement chains' events up to that id (a frozen run's)."""
    names = [c.name for c in UNIT_COUNTS]
    departments, leaves = {}, {}
    sql, params = unit_counts_sql(upto, enforcement_upto), _params(start, end, bound, upto, None, enforcement_upto)
    for by_region, department_id, region_path, *values in _run(sql, params):
        figures = dict(zip(names, values, strict=True))
        if not by_region:
            if department_id is not None:
                departments[department_id] = figures
        elif region_path is not None:
            leaves[region_path] = figures
    return departments, leaves


def post_counts(*, start, end, bound, upto=None, track_upto=None, with_names=False):
    """{(user_id, role): counts} for the period; with_names: {(user_id, role): (username, full name, counts)}.

    `track_upto` reads only patrol track points up to that id (a frozen run's), as `upto` does for events."""
    names = [c.name for c in POST_COUNTS]
    result = {}
    sql, params = post_counts_sql(upto, track_upto), _params(start, end, bound, upto, track_upto)
    for username, full_name, actor_id, role, *values in _run(sql, params):
        counts = dict(zip(names, (int(v) for v in values), strict=True))
        result[(actor_id, role)] = (username, full_name, counts) if with_names else counts
    return result


def case_ids_sql(*, count, unit_kind, upto=None, track_upto=None, enforcement_upto=None):
    """SQL selecting the ids of the cases behind one count of one unit (params from `case_ids_params`)."""
    if unit_kind == "post":
        narrow = "actor_id = %(key)s AND actor_role = %(role)s"
        inner = post_events_sql(upto, track_upto)
    elif unit_kind == "department":
        narrow, inner = "department_id = %(key)s", unit_events_sql(upto, enforcement_upto=enforcement_upto)
    else:
        narrow, inner = "true", unit_events_sql(upto, region=True, enforcement_upto=enforcement_upto)
    # noqa below: the fragments are this module's constants; the unit, period and ids are parameters.
    return f"SELECT DISTINCT case_id FROM ({inner}) ev WHERE {narrow} AND {count.sql}"  # noqa: S608


def case_ids_params(*, start, end, bound, upto=None, track_upto=None, enforcement_upto=None, key=None, role=None):
    params = _params(start, end, bound, upto, track_upto, enforcement_upto)
    params.update(key=key, role=role)
    return params
