"""The statement of one day's roll-up: the unit counts of indicators/sql.py, made additive over days.

A period's figure is the sum of its days' rows when each row says which day the fact belongs to. Most facts belong
to the day of their event (a dispatch, a feedback, a rating): `since` is NULL. Four facts tie an event to a later
one, and are written on the day of the *later* event with the earlier event's day in `since` (a period counts such
a row when both days are in it, so a finished day's rows never change when later events arrive):

- closed / closed_on_time: a close whose previous two windowed events of the case (dispatch, re-dispatch, check,
  feedback, close, reopen; by id) are a check and a feedback: that feedback was followed by the check and the
  close (sql.py's closed_after). `since` is the feedback's day; stage_met is the feedback's.
- orders (督办): the first reply or withdrawal of an order, with the order's outcome; `since` is the day the order
  was issued. A withdrawal takes the order out of orders_due (a negative count), a reply adds to the replied ones.
- chains_ended: the first ending event (filed away or declined) of an enforcement chain after its transfer;
  `since` is the transfer's day.
- overdue_ended: a handling stage ended on this day whose deadline fell on an earlier day `since`: for a period
  that holds `since` and ended before this day, it was 超期未处置. Stages still running are counted live.

挂牌督办 listings are rows of their deadline's day (lifted by then or not). The same statement over a part of a day
[start, end) gives that part's rows: the parts of a day add up to the day (today is written in parts, rollups/).
The rows of a day read events of that day with id <= upto (the last event when the day was written) and earlier
events of the same cases, which never change: a case's events are appended in time order (sql.py).
"""

from ..indicators.counts import HANDLING_END_ACTIONS, UNIT_COUNTS
from ..indicators.sql import CASES, ENF_EVENTS, EVENTS, UNIT_PLAIN, WINDOWED, _in

ORDER_ENDS = ("order_replied", "order_withdrawn")
READ = UNIT_PLAIN + WINDOWED + ("order_issued", "transfer_to_enforcement") + ORDER_ENDS + HANDLING_END_ACTIONS
READ = tuple(dict.fromkeys(READ))

# Counts whose later-event rows add to (or, for withdrawals, take from) the day's own rows.
PAIR_TERMS = {
    "closed": "+ count(*) FILTER (WHERE action = 'closed_pair')",
    "closed_on_time": "+ count(*) FILTER (WHERE action = 'closed_pair' AND stage_met)",
    "orders_due": "- count(*) FILTER (WHERE action = 'order_settled' AND outcome = 'withdrawn')",
    "orders_replied": "+ count(*) FILTER (WHERE action = 'order_settled' AND outcome IN ('on_time', 'late'))",
    "orders_replied_on_time": "+ count(*) FILTER (WHERE action = 'order_settled' AND outcome = 'on_time')",
    "chains_ended": "+ count(*) FILTER (WHERE action = 'chain_ended_pair')",
}
COLUMNS = [c.name for c in UNIT_COUNTS] + ["overdue_ended"]


def _day(expression):
    return f"({expression} AT TIME ZONE %(tz)s)::date"


def _aggregates():
    parts = []
    for c in UNIT_COUNTS:
        if c.summed:
            own = f"coalesce(sum({c.summed}) FILTER (WHERE since IS NULL AND {c.sql}), 0)::float"
        else:
            own = f"count(*) FILTER (WHERE since IS NULL AND {c.sql})"
        parts.append(f"{own} {PAIR_TERMS.get(c.name, '')} AS {c.name}")
    parts.append("count(*) FILTER (WHERE action = 'overdue_ended') AS overdue_ended")
    return ",\n       ".join(parts)


def _rows():
    """The day's `ev` rows: (action, to_status, stage, stage_met, department_id, region_path, closed_after,
    handling_seconds, satisfaction, outcome, since)."""
    windowed = _in(WINDOWED)
    return f"""
    WITH base AS MATERIALIZED (
        SELECT e.id, e.case_id, e.action, e.to_status, e.stage, e.stage_met, e.at, e.department_id, e.region_path,
               e.stage_deadline, e.data
        FROM {EVENTS} e
        WHERE e.action IN {_in(READ)} AND e.at >= %(start)s AND e.at < %(end)s AND e.id <= %(upto)s
    )
    SELECT b.action, b.to_status, b.stage, b.stage_met, b.department_id, b.region_path,
           NULL::boolean AS closed_after,
           CASE WHEN b.action = 'feedback' THEN extract(epoch FROM b.at - (
               SELECT p.at FROM {EVENTS} p
               WHERE p.case_id = b.case_id AND p.id < b.id AND p.to_status = 'handling'
                 AND p.action IN ('dispatch', 'redispatch', 'check', 'reopen')
               ORDER BY p.id DESC LIMIT 1)) END AS handling_seconds,
           b.data ->> 'satisfaction' AS satisfaction, NULL::text AS outcome, NULL::date AS since
    FROM base b WHERE b.action IN {_in(UNIT_PLAIN + WINDOWED)}
    UNION ALL
    SELECT 'order_issued', b.to_status, b.stage, NULL, b.department_id, b.region_path, NULL, NULL, NULL, NULL, NULL
    FROM base b WHERE b.action = 'order_issued'
    UNION ALL
    SELECT 'transfer_to_enforcement', b.to_status, b.stage, b.at <= b.stage_deadline, b.department_id,
           b.region_path, NULL, NULL, NULL, NULL, NULL
    FROM base b WHERE b.action = 'transfer_to_enforcement'
    UNION ALL
    SELECT 'closed_pair', NULL, NULL, f.stage_met, f.department_id, f.region_path, NULL, NULL, NULL, NULL,
           {_day("f.at")}
    FROM base c
    JOIN LATERAL (
        SELECT p.id, p.action FROM {EVENTS} p
        WHERE p.case_id = c.case_id AND p.id < c.id AND p.action IN {windowed} ORDER BY p.id DESC LIMIT 1
    ) chk ON chk.action = 'check'
    JOIN LATERAL (
        SELECT p.action, p.stage_met, p.department_id, p.region_path, p.at FROM {EVENTS} p
        WHERE p.case_id = c.case_id AND p.id < chk.id AND p.action IN {windowed} ORDER BY p.id DESC LIMIT 1
    ) f ON f.action = 'feedback'
    WHERE c.action = 'close'
    UNION ALL
    SELECT 'order_settled', NULL, NULL, NULL, o.department_id, o.region_path, NULL, NULL, NULL,
           CASE WHEN s.action = 'order_withdrawn' THEN 'withdrawn'
                WHEN s.at <= (o.data ->> 'reply_deadline')::timestamptz THEN 'on_time' ELSE 'late' END,
           {_day("o.at")}
    FROM base s
    JOIN {EVENTS} o ON o.case_id = s.case_id AND o.id < s.id AND o.action = 'order_issued'
                   AND o.data ->> 'order' = s.data ->> 'order'
    WHERE s.action IN {_in(ORDER_ENDS)} AND NOT EXISTS (
        SELECT 1 FROM {EVENTS} q WHERE q.case_id = s.case_id AND q.id > o.id AND q.id < s.id
          AND q.action IN {_in(ORDER_ENDS)} AND q.data ->> 'order' = s.data ->> 'order')
    UNION ALL
    SELECT 'overdue_ended', NULL, NULL, NULL, b.department_id, b.region_path, NULL, NULL, NULL, NULL,
           {_day("b.stage_deadline")}
    FROM base b
    WHERE b.action IN {_in(HANDLING_END_ACTIONS)} AND b.stage = 'handling' AND b.stage_deadline IS NOT NULL
      AND b.stage_deadline < %(day_start)s
    UNION ALL
    SELECT CASE WHEN x.action = 'transfer' THEN 'enf_opened' ELSE 'enf_confirm' END, x.to_state, x.step,
           x.step_met, x.department_id, x.region_path, NULL, NULL, NULL, NULL, NULL
    FROM {ENF_EVENTS} x
    WHERE (x.action = 'transfer' OR (x.action IN ('confirm', 'decline') AND x.step = 'confirm'))
      AND x.at >= %(start)s AND x.at < %(end)s AND x.id <= %(enforcement_upto)s
    UNION ALL
    SELECT 'chain_ended_pair', NULL, NULL, NULL, t.department_id, t.region_path, NULL, NULL, NULL, NULL,
           {_day("t.at")}
    FROM {ENF_EVENTS} d
    JOIN {ENF_EVENTS} t ON t.enforcement_id = d.enforcement_id AND t.id < d.id AND t.action = 'transfer'
    WHERE d.to_state IN ('closed', 'declined') AND d.at >= %(start)s AND d.at < %(end)s
      AND d.id <= %(enforcement_upto)s AND NOT EXISTS (
        SELECT 1 FROM {ENF_EVENTS} q WHERE q.enforcement_id = d.enforcement_id AND q.id > t.id AND q.id < d.id
          AND q.to_state IN ('closed', 'declined'))
    UNION ALL
    SELECT 'enf_listing_due', x.to_state, x.step, EXISTS (
               SELECT 1 FROM {ENF_EVENTS} d WHERE d.enforcement_id = x.enforcement_id AND d.id > x.id
                 AND d.action = 'verify' AND (d.data ->> 'passed')::boolean
                 AND d.at <= (x.data ->> 'deadline')::timestamptz AND d.at < %(end)s
                 AND d.id <= %(enforcement_upto)s),
           x.department_id, x.region_path, NULL, NULL, NULL, NULL, NULL
    FROM {ENF_EVENTS} x
    WHERE x.action = 'list' AND (x.data ->> 'deadline')::timestamptz >= %(start)s
      AND (x.data ->> 'deadline')::timestamptz < %(bound)s AND x.id <= %(enforcement_upto)s
    """  # noqa: S608


def day_counts_sql():
    """Rows (by_region, department_id, region_path, since, counts…) of the events in [start, end) of the day that
    starts at day_start (the whole day, or a part of it: the parts of a day add up to it), as of upto."""
    return f"""
    SELECT GROUPING(department_id) = 1 AS by_region, department_id, region_path, since,
       {_aggregates()}
    FROM ({_rows()}) ev
    GROUP BY GROUPING SETS ((department_id, since), (region_path, since))
    """  # noqa: S608


def day_categories_sql():
    """Cases filed in [start, end) (as of upto) per street path and category."""
    return f"""
    SELECT substring(e.region_path FROM '^(/[^/]+/[^/]+/[^/]+/|/[^/]+/[^/]+/|/[^/]+/)') AS street_path,
           c.category_id, count(*)
    FROM {EVENTS} e JOIN {CASES} c ON c.id = e.case_id
    WHERE e.action = 'register' AND e.at >= %(start)s AND e.at < %(end)s AND e.id <= %(upto)s
    GROUP BY 1, 2
    """  # noqa: S608


# Handling stages running now whose deadline fell in [start, bound): the live part of 超期未处置.
RUNNING_OVERDUE_SQL = f"""
    SELECT GROUPING(c.lead_department_id) = 1, c.lead_department_id, c.region_path, count(*)
    FROM {CASES} c
    WHERE c.stage = 'handling' AND c.stage_deadline IS NOT NULL
      AND c.stage_deadline >= %(start)s AND c.stage_deadline < %(bound)s
    GROUP BY GROUPING SETS ((c.lead_department_id), (c.region_path))
"""  # noqa: S608


# Posts: the events of indicators/sql.py's post statement. Its cohort facts (a report filed or fixed on the spot, a
# filing voided, a dispatch returned — by the period end) are rows of the day of the *first* later event that makes
# them true, with the earlier event's day in `since`; overdue verify/check tasks that ended after their deadline's
# day likewise. Missed reports (漏报) read the patrol tracks, which may arrive late, and tasks still running are
# counted live.
POST_PAIRS = {
    # pseudo-action: (earlier action, the later actions that make it true)
    "pair_effective": ("report", ("register", "self_close")),
    "pair_self_closed": ("report", ("self_close",)),
    "pair_voided": ("register", ("approve_void",)),
    "pair_returned": ("dispatch", ("approve_return",)),
}
POST_PAIR_TERMS = {
    "effective_reports": "+ count(*) FILTER (WHERE action = 'pair_effective')",
    "self_handled_reports": "+ count(*) FILTER (WHERE action = 'pair_self_closed')",
    "filed_voided": "+ count(*) FILTER (WHERE action = 'pair_voided')",
    "dispatches_returned": "+ count(*) FILTER (WHERE action = 'pair_returned')",
}
POST_EXTRA = ["overdue_verify_ended", "overdue_check_ended"]


def _post_columns():
    from ..indicators.counts import POST_COUNTS

    return [c.name for c in POST_COUNTS] + POST_EXTRA


def _post_aggregates():
    from ..indicators.counts import POST_COUNTS

    parts = [
        f"count(*) FILTER (WHERE since IS NULL AND {c.sql}) {POST_PAIR_TERMS.get(c.name, '')} AS {c.name}"
        for c in POST_COUNTS
    ]
    parts += [f"count(*) FILTER (WHERE action = '{n}') AS {n}" for n in POST_EXTRA]
    return ",\n       ".join(parts)


def _post_pair(name, earlier, later):
    return f"""
    SELECT '{name}'::text, NULL::text, NULL::text, NULL::boolean, NULL::timestamptz, NULL::timestamptz, r.actor_id,
           r.actor_role, {_day("r.at")}
    FROM base l
    JOIN {EVENTS} r ON r.case_id = l.case_id AND r.id < l.id AND r.action = '{earlier}'
    WHERE l.action IN {_in(later)} AND NOT EXISTS (
        SELECT 1 FROM {EVENTS} q WHERE q.case_id = l.case_id AND q.id > r.id AND q.id < l.id
          AND q.action IN {_in(later)})"""  # noqa: S608


def post_day_sql():
    """Rows (actor_id, actor_role, since, counts…) of the posts for [start, end) of the day starting at day_start."""
    from ..indicators.sql import POST_ACTIONS, POST_ROLES

    read = tuple(dict.fromkeys(POST_ACTIONS + ("verify", "check")))
    pairs = "\n    UNION ALL".join(_post_pair(name, *rule) for name, rule in POST_PAIRS.items())
    return f"""
    WITH base AS MATERIALIZED (
        SELECT e.id, e.case_id, e.action, e.to_status, e.stage, e.stage_met, e.stage_deadline, e.at, e.actor_id,
               e.actor_role
        FROM {EVENTS} e
        WHERE e.action IN {_in(read)} AND e.at >= %(start)s AND e.at < %(end)s AND e.id <= %(upto)s
    ), ev AS (
    SELECT b.action, b.to_status, b.stage, b.stage_met, b.stage_deadline, b.at, b.actor_id, b.actor_role,
           NULL::date AS since, false AS effective, false AS self_closed, false AS voided_later,
           false AS returned_later
    FROM base b WHERE b.action IN {_in(POST_ACTIONS)}
    UNION ALL
    SELECT 'overdue_' || b.stage || '_ended', NULL, NULL, NULL::boolean, NULL::timestamptz, NULL::timestamptz,
           b.actor_id, b.actor_role, {_day("b.stage_deadline")}, NULL::boolean, NULL::boolean, NULL::boolean,
           NULL::boolean
    FROM base b
    WHERE b.action IN ('verify', 'check') AND b.stage IN ('verify', 'check') AND b.stage_deadline IS NOT NULL
      AND b.stage_deadline < %(day_start)s
    UNION ALL
    SELECT p.*, NULL::boolean, NULL::boolean, NULL::boolean, NULL::boolean FROM ({pairs}
    ) p(action, to_status, stage, stage_met, stage_deadline, at, actor_id, actor_role, since)
    )
    SELECT actor_id, actor_role, since, {_post_aggregates()}
    FROM ev WHERE actor_id IS NOT NULL AND actor_role IN {_in(POST_ROLES)}
    GROUP BY actor_id, actor_role, since
    """  # noqa: S608


# Verify and check tasks running now, assigned to a grid worker, whose deadline fell in [start, bound).
RUNNING_TASKS_SQL = f"""
    SELECT c.assignee_id, c.stage, count(*)
    FROM {CASES} c
    WHERE c.stage IN ('verify', 'check') AND c.assignee_id IS NOT NULL AND c.stage_deadline IS NOT NULL
      AND c.stage_deadline >= %(start)s AND c.stage_deadline < %(bound)s
    GROUP BY 1, 2
"""  # noqa: S608
