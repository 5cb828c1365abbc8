"""The command centre's tab counts for one user, read from the counters (dispatch.models.counts) in one query.

The counters hold every tab per grid subtree; a user's grids are disjoint subtrees, so their counts are the sum of
those subtrees' rows. Two small parts are read live in the same statement: the cases whose deadline passed in the
current minute (the counters hold a running clock under its deadline's minute) and what the user sees beyond their
grids (cases they reported or are assigned to, their departments' cases), counted with the counters' own keys.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Q

from accounts.scope import subtree_q, user_scope
from cases.models import Case
from cases.models.status import open_q

from .queues import QUEUE_KEYS

# Keys that are always counted are stored under this instant (dispatch migration 0014).
ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# The counters' keys of some case rows, counted live: the deadline compared with now itself.
_KEYS_OF_ROWS = (
    "SELECT k.queue, 1 FROM ({rows}) c CROSS JOIN LATERAL dispatch_queue_keys(c.status, c.supervised, c.overdue,"
    " c.stage_deadline, c.stage_remaining, dispatch_queue_extension(c.id)) k"
    " WHERE k.queue <> 'overdue' OR c.stage_deadline IS NULL OR c.stage_deadline < %s"
)


def minute_of(instant: datetime) -> datetime:
    """The start of the minute `instant` falls in (UTC seconds, as the triggers bucket deadlines)."""
    return datetime.fromtimestamp(int(instant.timestamp() // 60) * 60, tz=UTC)


def count_roots(user) -> list[str]:
    """The counter keys of the user's grids: "" (the whole city) for a city-wide scope, else disjoint subtrees."""
    scope = user_scope(user)
    if scope.everything:
        return [""]
    return scope.grid_roots() if user.is_authenticated else []


def _sql(queryset):
    return queryset.query.sql_with_params()


def _roots_q(roots):
    return Q() if roots == [""] else subtree_q(roots, "region_path")


def queue_counts_statement(*, user, now):
    """(sql, params) of the user's counts: rows of (tab, count)."""
    roots = count_roots(user)
    minute = minute_of(now)
    parts, params = [], []
    if roots:
        stored = "SELECT queue, n FROM {table} WHERE path = ANY(%s) AND due < %s"
        for table in ("dispatch_queuecount", "dispatch_queuecountdelta"):
            parts.append(stored.format(table=table))
            params += [roots, minute]
        # Deadlines in the current minute are not yet in the counters' past minutes.
        late = Case.objects.filter(_roots_q(roots), open_q(), stage_deadline__gte=minute, stage_deadline__lt=now)
        sql, late_params = _sql(late.order_by().values("stage_deadline"))
        parts.append(f"SELECT 'overdue', 1 FROM ({sql}) late")  # noqa: S608 - compiled by the ORM
        params += late_params
    beyond = None
    if roots != [""] and user.is_authenticated:
        beyond = Case.objects.beyond_grids_q(user)
        if roots:
            beyond &= ~subtree_q(roots, "region_path")
        extra = Case.objects.filter(beyond, open_q()).values(
            "id", "status", "supervised", "overdue", "stage_deadline", "stage_remaining"
        )
        sql, extra_params = _sql(extra.order_by())
        parts.append(_KEYS_OF_ROWS.format(rows=sql))
        params += [*extra_params, now]
    if not parts:
        return None, []
    union = " UNION ALL ".join(parts)
    return f"SELECT queue, sum(n)::int FROM ({union}) t (queue, n) GROUP BY queue", params  # noqa: S608


def queue_counts_for_user(*, user, now) -> dict:
    """{tab: number of cases} for every command-centre tab, as the lists would count them at `now` (one query)."""
    counts = dict.fromkeys(QUEUE_KEYS, 0)
    sql, params = queue_counts_statement(user=user, now=now)
    if sql is None:
        return counts
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for queue, n in cursor.fetchall():
            counts[queue] = n
    return counts
