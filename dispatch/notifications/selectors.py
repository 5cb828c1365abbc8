"""Read use-cases of notifications: who is told of what (the Recipients directory) and the inbox.

Recipients come from current postings (accounts.scope's model): a role over a region subtree covers a case
when the posting's region is one of the case's ancestors; handlers act for their department.
"""

from accounts.models import Posting, Role
from accounts.scope import ancestor_paths
from dispatch.models import CaseRouting, CommandLevel, Notification
from grids.models import Department

# ---- recipients: sets of user ids ----


class Recipients:
    """Who is told: the current postings, read once per role and then answered from memory.

    One instance serves one notification run about `cases`, a single transition or a whole batch of timer
    marks: a batch of thousands of marks costs a handful of queries rather than several per mark, and only the
    postings that can concern those cases are read (over their ancestors and their lead departments' homes, and
    `departments` besides, such as the one a case was taken from).
    Answers are for those cases only. Methods return sets of user ids; callers may change them.
    """

    def __init__(self, cases, departments=()):
        cases = list(cases)
        departments = {c.lead_department_id for c in cases if c.lead_department_id} | set(departments)
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

    def city_shift_leads(self, *, region_path: str) -> set[int]:
        """The city's shift leads (值班长 posted over the whole city); without any, those covering the case."""
        paths = ancestor_paths(region_path)
        city = self._posted_at(Role.SHIFT_LEAD, paths[:1])
        return city or self.covering(region_path=region_path, role=Role.SHIFT_LEAD)

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
        its own falls back to the city command centre, so nobody's case goes unseen. A case escalated to the city
        but still commanded by its district (not taken over) concerns both centres.
        """
        self.load_levels([case.pk])
        if self._levels[case.pk] != CommandLevel.CITY:
            district = self.district_command(region_path=case.region_path)
            if district:
                return district
        city = self.city_command(region_path=case.region_path)
        if case.escalated and case.command_level == CommandLevel.DISTRICT:
            # Escalated but not taken over: the district still commands it, the city watches it.
            city |= self.district_command(region_path=case.region_path)
        return city

    def department_leaders(self, *, case) -> set[int]:
        """Leaders over the lead department's home region, the nearest level that has any; else over the case."""
        paths = ancestor_paths(self._homes.get(case.lead_department_id) or case.region_path)
        index = self._index(Role.LEADER)
        for path in reversed(paths):
            if index.get(path):
                return set(index[path])
        return set()


# ---- the inbox ----


def notification_list_for_user(*, user, unread: bool | None = None):
    """The user's own inbox, newest first."""
    qs = Notification.objects.filter(user=user).select_related("case")
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-id")


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


INBOX_PAGE_SIZE = 30


def notification_page_for_user(
    *, user, unread: bool = False, kind: str = "", day_from=None, day_to=None, before: int | None = None, size=None
):
    """One page of the user's inbox, newest first, and whether older rows follow: (rows, more).

    Keyset paging on the (user, -id) index: `before` is the last id of the previous page, so a page costs the same
    however deep it is. Days are local dates (inclusive) of when the notification was written.
    """
    size = size or INBOX_PAGE_SIZE
    qs = notification_list_for_user(user=user, unread=True if unread else None)
    if kind:
        qs = qs.filter(kind=kind)
    if day_from:
        qs = qs.filter(created_at__date__gte=day_from)
    if day_to:
        qs = qs.filter(created_at__date__lte=day_to)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.select_related("case__lead_department")[: size + 1])
    return rows[:size], len(rows) > size


def notification_for_user(*, user, notification_id: int):
    """One of the user's own notifications with its case, or None (anyone else's does not exist for them)."""
    return notification_list_for_user(user=user).filter(pk=notification_id).first()


def notification_preferences_for_user(*, user) -> list[dict]:
    """Every notification kind with the user's email and SMS choice (the kind's default where none was made)."""
    from dispatch.models import NotificationKind, NotificationPreference
    from dispatch.models.notifications import channel_defaults

    chosen = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    rows = []
    for kind, label in NotificationKind.choices:
        default = channel_defaults(kind)
        pref = chosen.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": label,
                "email": pref.email if pref else default["email"],
                "sms": pref.sms if pref else default["sms"],
                "default": default,
            }
        )
    return rows
