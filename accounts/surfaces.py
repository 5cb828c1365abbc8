"""The work pages and the roles that open them, declared once.

The home page, the top bar and every page's access check (command centre, department workspace, mobile form,
assessment) read `SURFACES`, so who is offered a page and who may open it cannot drift apart.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Role
from .scope import user_scope


@dataclass(frozen=True)
class Surface:
    """One work page: where it lives, which roles open it, and how the home page presents it."""

    key: str
    path: str  # a path, not a URL name: the pages live in other apps
    roles: frozenset
    label: str
    description: str
    icon: str
    refusal: str = ""  # what someone else is told when the page sends them home
    # Administrators open every page that is not tied to a posting of one's own; the mobile form is a grid
    # worker's own patrol (their grid, their tasks), so it opens only with a current grid-worker posting.
    everything_opens: bool = True
    case_path: str = ""  # where one case opens on this page, "{id}" standing for the case's id; empty: nowhere

    def case_url(self, case_id) -> str:
        """The address that opens case `case_id` on this page ("" when the page shows no single case)."""
        return self.case_path.format(id=int(case_id)) if self.case_path else ""

    def opens_for(self, user) -> bool:
        """Whether the user may work on this page."""
        scope = user_scope(user)
        return (self.everything_opens and scope.everything) or bool(scope.roles & self.roles)

    def listed_for(self, user) -> bool:
        """Whether the home page and the top bar offer the page (administrators see every page, to look at it)."""
        return user_scope(user).everything or self.opens_for(user)


COMMAND = Surface(
    key="command",
    path="/command/",
    roles=frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER}),
    label=_("Command centre"),
    description=_("Work queues with live counts, the map of cases and grids, and the case panel with its actions."),
    icon="指",
    refusal=_("The command centre is for operators, shift leads, dispatchers and leaders."),
    case_path="/command/?case={id}",
)
DEPARTMENT = Surface(
    key="dept",
    path="/dept/",
    roles=frozenset({Role.HANDLER}),
    label=_("Department workspace"),
    description=_(
        "Your department's cases by traffic light: handling feedback, return, extension and suspension requests."
    ),
    icon="办",
    refusal=_("The department workspace is for department handlers."),
    case_path="/dept/?case={id}",
)
MOBILE = Surface(
    key="mobile",
    path="/m/",
    roles=frozenset({Role.GRID_WORKER}),
    label=_("Mobile report form"),
    description=_("Report a problem with photos and location; your verification and check tasks."),
    icon="采",
    everything_opens=False,
    case_path="/m/reports/#case-{id}",
)
# A grid worker's on-site task (核实/核查) opens on the task list rather than among their own reports.
MOBILE_TASK_PATH = "/m/tasks/#case-{id}"
ASSESSMENT = Surface(
    key="assessment",
    path="/assessment/",
    roles=frozenset({Role.ASSESSOR, Role.LEADER}),
    label=_("Assessment"),
    description=_("Indicators, scores and bulletins of districts, departments and posts."),
    icon="评",
)

# The big screen (大屏) for the command centre's wall: the same people as the command centre (leaders among them).
# Not one of SURFACES: it is a wall display, opened from the command centre's top bar rather than the home page.
SCREEN = Surface(
    key="screen",
    path="/screen/",
    roles=COMMAND.roles,
    label=_("Big screen"),
    description=_("Today's intake, open cases by light, the trend, the map, overdue cases and rankings, live."),
    icon="屏",
    refusal=_("The big screen is for operators, shift leads, dispatchers and leaders."),
)


ENFORCEMENT = Surface(
    key="enforcement",
    path="/enforcement/",
    roles=frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER, Role.HANDLER}),
    label=_("Enforcement"),
    description=_(
        "Cases transferred to law enforcement (移送): confirmation, collaboration, penalties, supervision listings "
        "and the report back."
    ),
    icon="执",
    refusal=_("The enforcement pages are for the command centre and department handlers."),
)

# In the order of the closed loop, as the home page and the top bar list them.
SURFACES = (COMMAND, DEPARTMENT, MOBILE, ENFORCEMENT, ASSESSMENT)
