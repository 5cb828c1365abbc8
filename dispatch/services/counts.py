"""Upkeep of the command centre's tab counters (dispatch.models.counts): compaction, and a recount that repairs.

The triggers on the cases write the changes as they happen; nothing here is needed for the counts to be right.
The compaction keeps reading them cheap: it folds the deltas into one row per key and the deadline minutes long
past into the always-counted key. The recount compares the counters with the cases and, where they differ (a
bug, or rows changed with the triggers disabled), reports it and corrects them.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from dispatch.queue_counts import ALWAYS, minute_of

logger = logging.getLogger(__name__)

# One compaction at a time (a transaction-level advisory lock; the key is arbitrary but fixed).
LOCK_KEY = 74_613_101
# Minutes are folded into the always-counted key only this long after they passed, so a web process whose clock
# runs a little behind the database's never counts a case both from the counters and from its current minute.
FOLD_AFTER = timedelta(minutes=5)

_FOLD_DELTAS = """
WITH gone AS (DELETE FROM dispatch_queuecountdelta RETURNING path, queue, due, n)
INSERT INTO dispatch_queuecount (path, queue, due, n)
SELECT path, queue, CASE WHEN due < %(fold)s THEN %(always)s ELSE due END, sum(n)
  FROM gone GROUP BY 1, 2, 3
ON CONFLICT (path, due, queue) DO UPDATE SET n = dispatch_queuecount.n + EXCLUDED.n
"""
_FOLD_MINUTES = """
WITH gone AS (DELETE FROM dispatch_queuecount WHERE due > %(always)s AND due < %(fold)s RETURNING path, queue, n)
INSERT INTO dispatch_queuecount (path, queue, due, n)
SELECT path, queue, %(always)s, sum(n) FROM gone GROUP BY 1, 2
ON CONFLICT (path, due, queue) DO UPDATE SET n = dispatch_queuecount.n + EXCLUDED.n
"""
# What the counters should hold, from the cases (the minutes long past already folded).
_RECOUNT = """
SELECT p.p AS path, k.queue, CASE WHEN k.due < %(fold)s THEN %(always)s ELSE k.due END AS due, count(*)::int AS n
  FROM cases_case c
  CROSS JOIN LATERAL dispatch_queue_keys(c.status, c.supervised, c.overdue, c.stage_deadline, c.stage_remaining,
                                         dispatch_queue_extension(c.id)) k
  CROSS JOIN LATERAL dispatch_queue_paths(c.region_path) p (p)
 WHERE c.status NOT IN ('closed', 'not_accepted', 'not_registered', 'self_closed', 'voided')
 GROUP BY 1, 2, 3
"""
# One statement, so the cases and the counters are read in one snapshot: the triggers write a change's deltas in
# the changing transaction, so the two agree in any snapshot unless the counters are wrong.
_DRIFT_OVER = """
WITH expected AS ({recount}),
held AS (SELECT path, queue, CASE WHEN due < %(fold)s THEN %(always)s ELSE due END AS due, sum(n)::int AS n
           FROM (SELECT path, queue, due, n FROM dispatch_queuecount
                 UNION ALL SELECT path, queue, due, n FROM dispatch_queuecountdelta) s
          GROUP BY 1, 2, 3 HAVING sum(n) <> 0)
SELECT coalesce(e.path, h.path) AS path, coalesce(e.queue, h.queue) AS queue, coalesce(e.due, h.due) AS due,
       coalesce(e.n, 0) AS expected, coalesce(h.n, 0) AS held
  FROM expected e FULL JOIN held h ON h.path = e.path AND h.queue = e.queue AND h.due = e.due
 WHERE e.n IS DISTINCT FROM h.n
"""
_DRIFT = _DRIFT_OVER.format(recount=_RECOUNT)
# The repair adds the difference as deltas, computed in the one snapshot of its statement: a transition committed
# after that snapshot adds its own delta on top, so nothing is lost or counted twice, and nothing waits.
_REPAIR = "INSERT INTO dispatch_queuecountdelta (path, queue, due, n) SELECT path, queue, due, expected - held FROM ("


@dataclass
class Drift:
    """What a recount found: the keys whose count differed, and the city-wide difference per tab."""

    keys: int = 0
    city: dict = field(default_factory=dict)

    def as_dict(self):
        return {"keys": self.keys, "city": self.city}


def _locked(cursor):
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


@transaction.atomic
def queue_counts_compact(*, now=None) -> int:
    """Fold the counters' deltas into one row per key (beat, every QUEUE_COUNT_COMPACT_SECONDS); returns how many.

    At-least-once is fine: a second run finds nothing to fold. Transitions meanwhile go on inserting deltas."""
    params = {"fold": minute_of(now or timezone.now()) - FOLD_AFTER, "always": ALWAYS}
    with connection.cursor() as cursor:
        _locked(cursor)
        cursor.execute("SELECT count(*) FROM dispatch_queuecountdelta")
        folded = cursor.fetchone()[0]
        cursor.execute(_FOLD_DELTAS, params)
        cursor.execute(_FOLD_MINUTES, params)
        cursor.execute("DELETE FROM dispatch_queuecount WHERE n = 0")
    return folded


def queue_counts_recount(*, now=None, repair: bool = True) -> Drift:
    """Recount the tabs from the cases, report where the counters differ and (`repair`) correct them.

    Takes no lock and holds up no transition: the comparison is one statement (one snapshot of the cases and the
    counters, which the triggers keep in step), and so is the correction, added as deltas. Readers never wait."""
    params = {"fold": minute_of(now or timezone.now()) - FOLD_AFTER, "always": ALWAYS}
    drift = Drift()
    with connection.cursor() as cursor:
        cursor.execute(_DRIFT, params)
        for path, queue, _due, expected, held in cursor.fetchall():
            drift.keys += 1
            if path == "":
                drift.city[queue] = drift.city.get(queue, 0) + held - expected
    if drift.keys:
        logger.warning(
            "queue counters drifted on %d keys (city-wide, counted minus recounted: %s)", drift.keys, drift.city
        )
        if repair:
            with connection.cursor() as cursor:
                cursor.execute(_REPAIR + _DRIFT + ") drift", params)
    return drift
