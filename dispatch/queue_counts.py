"""The command centre's tab counts for one user, read from the counters (dispatch.models.counts) in one query.

The counters hold every tab per grid subtree; a user's grids are disjoint subtrees, so their counts are the sum of
those subtrees' rows. Two small parts are read live in the same statement: the cases whose deadline passed in the
current minute (the counters hold a running clock under its deadline's minute) and what the user sees beyond their
grids (cases they reported or are assigned to, their departments' cases), counted with the counters' own keys.
"""

from datetime import UTC, datetime

from django.db import connection
from django.db.models import Q

from accounts.scope import subtree_q, user_scope
from cases.models import Case
from cases.models.status import open_q

from .queues import QUEUE_KEYS

# Keys that are always counted are stored under this instant (dispatch migration 0014).
ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)
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


def _grid_parts(roots, now):
    """The user's grids (`roots`): the counters, and the deadlines passed in the current minute."""
    parts, params = [], []
    if not roots:
        return parts, params
    minute = minute_of(now)
    stored = "SELECT queue, n FROM {table} WHERE path = ANY(%s) AND due < %s"
    for table in ("dispatch_queuecount", "dispatch_queuecountdelta"):
        parts.append(stored.format(table=table))
        params += [roots, minute]
    # Deadlines in the current minute are not yet in the counters' past minutes (index case_open_deadline_path).
    late = Case.objects.filter(_roots_q(roots), open_q(), stage_deadline__gte=minute, stage_deadline__lt=now)
    sql, late_params = _sql(late.order_by().values("stage_deadline"))
    parts.append(f"SELECT 'overdue', 1 FROM ({sql}) late")  # noqa: S608 - compiled by the ORM
    params += late_params
    return parts, params


def _beyond_parts(user, roots, now):
    """What the user sees beyond their grids, counted with the counters' keys (usually nothing: an index probe)."""
    if roots == [""] or not user.is_authenticated:
        return [], []
    beyond = Case.objects.beyond_grids_q(user)
    if roots:
        beyond &= ~subtree_q(roots, "region_path")
    rows = Case.objects.filter(beyond, open_q()).order_by()
    sql, params = _sql(rows.values("id", "status", "supervised", "overdue", "stage_deadline", "stage_remaining"))
    return [_KEYS_OF_ROWS.format(rows=sql)], [*params, now]


def _counted(parts, params) -> dict:
    counts = dict.fromkeys(QUEUE_KEYS, 0)
    if not parts:
        return counts
    union = " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT queue, sum(n)::int FROM ({union}) t (queue, n) GROUP BY queue", params)  # noqa: S608
        for queue, n in cursor.fetchall():
            counts[queue] = n
    return counts


def queue_counts_for_user(*, user, now) -> dict:
    """{tab: number of cases} for every command-centre tab, as the lists would count them at `now` (one query)."""
    roots = count_roots(user)
    grid_parts, grid_params = _grid_parts(roots, now)
    beyond_parts, beyond_params = _beyond_parts(user, roots, now)
    return _counted(grid_parts + beyond_parts, grid_params + beyond_params)


def queue_counts_in_grids(*, roots, now) -> dict:
    """The counts over the grid subtrees `roots` (count_roots): the same for every user holding those grids."""
    return _counted(*_grid_parts(list(roots), now))


def queue_counts_beyond_grids(*, user, now) -> dict:
    """The counts of what `user` sees beyond their grids; with queue_counts_in_grids, queue_counts_for_user."""
    return _counted(*_beyond_parts(user, count_roots(user), now))
