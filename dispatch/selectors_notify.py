"""Read use-cases of supervision orders, notifications and the live feed, and who is told of what.

Recipients come from current postings (accounts.scope's model): a role over a region subtree covers a case
when the posting's region is one of the case's ancestors; handlers act for their department.
"""

from datetime import timedelta

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Posting, Role
from accounts.scope import ancestor_paths
from cases.models import Case, CaseEvent
from dispatch.models import CaseRouting, CommandLevel, Notification, SupervisionOrder
from grids.models import Department

# ---- recipients: sets of user ids ----


class Recipients:
    """Who is told: the current postings, read once per role and then answered from memory.

    One instance serves one notification run about `cases`, a single transition or a whole batch of timer
    marks: a batch of thousands of marks costs a handful of queries rather than several per mark, and only the
    postings that can concern those cases are read (over their ancestors and their lead departments' homes).
    Answers are for those cases only. Methods return sets of user ids; callers may change them.
    """

    def __init__(self, cases):
        cases = list(cases)
        departments = {c.lead_department_id for c in cases if c.lead_department_id}
        # department id -> its home region's path
        self._homes = dict(Department.objects.filter(pk__in=departments).values_list("pk", "home_region__path"))
        self._departments = departments
        self._paths = {
            ancestor
            for path in [c.region_path for c in cases if c.region_path] + list(self._homes.values())
            for ancestor in ancestor_paths(path)
        }
        self._by_role: dict[str, dict] = {}  # role -> {region path (department id for handlers): {user ids}}
        self._levels: dict[int, str] = {}  # case id -> command level, read when asked (load_levels for a batch)

    def _index(self, role) -> dict:
        if role not in self._by_role:
            postings = Posting.objects.current().filter(role=role, user__is_active=True)
            if role == Role.HANDLER:
                key, postings = "department_id", postings.filter(department_id__in=self._departments)
            else:
                key, postings = "region__path", postings.filter(region__path__in=self._paths)
            index: dict = {}
            for user_id, where in postings.values_list("user_id", key):
                index.setdefault(where, set()).add(user_id)
            self._by_role[role] = index
        return self._by_role[role]

    def _posted_at(self, role, paths) -> set[int]:
        index = self._index(role)
        return set().union(*(index.get(path, ()) for path in paths))

    def covering(self, *, region_path: str, role: str) -> set[int]:
        """Users holding `role` over a subtree that contains `region_path`."""
        return self._posted_at(role, ancestor_paths(region_path))

    def department_handlers(self, *, department_id: int | None) -> set[int]:
        """The handlers of a department (nobody when there is none)."""
        return set(self._index(Role.HANDLER).get(department_id, ())) if department_id else set()

    def city_command(self, *, region_path: str) -> set[int]:
        """The city command centre: dispatchers posted over the whole city the case lies in."""
        return self._posted_at(Role.DISPATCHER, ancestor_paths(region_path)[:1])

    def district_command(self, *, region_path: str) -> set[int]:
        """The district command centre: dispatchers over the case's district (or a subtree of it above the case)."""
        return self._posted_at(Role.DISPATCHER, ancestor_paths(region_path)[1:])

    def load_levels(self, case_ids) -> None:
        """Read the command level of many cases at once (for a batch); a case never routed is the district's."""
        missing = {pk for pk in case_ids if pk not in self._levels}
        if missing:
            levels = dict(CaseRouting.objects.filter(pk__in=missing).values_list("pk", "level"))
            self._levels.update({pk: levels.get(pk, CommandLevel.DISTRICT) for pk in missing})

    def command(self, *, case) -> set[int]:
        """The command centre whose queue the case is in (两级指挥派遣): the city's when routed there, else the
        district's.

        A case never routed waits for its district, as in the dispatch queues. A district without dispatchers of
        its own falls back to the city command centre, so nobody's case goes unseen.
        """
        self.load_levels([case.pk])
        if self._levels[case.pk] != CommandLevel.CITY:
            district = self.district_command(region_path=case.region_path)
            if district:
                return district
        return self.city_command(region_path=case.region_path)

    def department_leaders(self, *, case) -> set[int]:
        """Leaders over the lead department's home region, the nearest level that has any; else over the case."""
        paths = ancestor_paths(self._homes.get(case.lead_department_id) or case.region_path)
        index = self._index(Role.LEADER)
        for path in reversed(paths):
            if index.get(path):
                return set(index[path])
        return set()


# ---- reads for the API ----


def _visible_case(user):
    """A correlated EXISTS on the one scope rule (Case.objects.visible_to), for rows that point at a case.

    EXISTS rather than `case__in=`: PostgreSQL turns it into a semi-join it can drive from the outer rows,
    so a feed poll reads only the few events after its cursor, not every case a city user may see.
    """
    return Exists(Case.objects.visible_to(user).filter(pk=OuterRef("case_id")))


def order_list_for_user(*, user, state: str | None = None, formal: bool | None = None, case_id: int | None = None):
    """Supervision orders on cases the user may see, newest first."""
    qs = SupervisionOrder.objects.filter(_visible_case(user)).select_related("case", "issued_by", "replied_by")
    if state:
        qs = qs.filter(state=state)
    if formal is not None:
        qs = qs.filter(formal=formal)
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    return qs.order_by("-id")


def order_detail_for_user(*, user, order_id: int):
    """One order on a visible case, or None (out of scope answers 404)."""
    return order_list_for_user(user=user).filter(pk=order_id).first()


def notification_list_for_user(*, user, unread: bool | None = None):
    """The user's own inbox, newest first."""
    qs = Notification.objects.filter(user=user).select_related("case")
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-id")


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def event_feed_start() -> int:
    """Where a feed without a cursor starts: the last id the event sequence handed out (0 before the first).

    The sequence rather than the newest row: ids drawn by rolled-back inserts would otherwise leave a gap at the
    start, at which the first poll would wait (see _feed_horizon).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass), 0)",
            [CaseEvent._meta.db_table],
        )
        return cursor.fetchone()[0]


# How long the feed waits for a missing event id to commit before it gives the id up (see event_feed_for_user).
FEED_GAP_GRACE = timedelta(seconds=10)
# How many ids one poll looks ahead; a client far behind catches up page by page.
FEED_SCAN = 1000


def _feed_horizon(rows, after, now):
    """The highest id up to which every id has committed or been given up on.

    Ids are drawn at insert (the timer sweep even reserves them before its batch), not at commit, so a later
    id can be visible while an earlier one is still in flight. The cursor therefore stops before a gap until the
    gap fills, or until the event after it is FEED_GAP_GRACE old: then the missing id belongs to a rolled-back
    insert or an unused reservation and never comes.
    """
    horizon = after
    for event_id, at in rows:
        if event_id != horizon + 1 and at > now - FEED_GAP_GRACE:
            break
        horizon = event_id
    return horizon


def event_feed_for_user(*, user, after: int, limit: int, now=None) -> tuple[list, int]:
    """(events, next cursor): at most `limit` events after the cursor on cases the user may see, oldest first.

    Two queries when something is new (the ids after the cursor, then the visible events up to the horizon),
    one when nothing is. The cursor moves past events the user may not see, so they are not read again.
    """
    now = now or timezone.now()
    rows = list(CaseEvent.objects.filter(pk__gt=after).order_by("id").values_list("id", "at")[:FEED_SCAN])
    horizon = _feed_horizon(rows, after, now)
    if horizon == after:
        return [], after
    events = (
        CaseEvent.objects.filter(_visible_case(user), pk__gt=after, pk__lte=horizon)
        .select_related("case", "actor")
        .only(
            "id",
            "action",
            "from_status",
            "to_status",
            "actor_role",
            "at",
            "note",
            "case__id",
            "case__number",
            "case__status",
            "actor__username",
            "actor__full_name",
        )
        .order_by("id")
    )
    events = list(events[:limit])
    # A full page continues right after it; otherwise every visible event up to the horizon has been listed.
    return events, (events[-1].id if len(events) == limit else horizon)
