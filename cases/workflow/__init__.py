"""The case workflow: every state and every action, each action declared once in `actions.py`.

`ACTIONS` is the registry every consumer reads: the transition service (`cases.services.case_transition`),
`allowed_actions` (`cases.permissions`), the API's transition serializer, the page and phone forms, the docs'
action table (`manage.py workflow_diagram --table`). Adding an action is adding one declaration.
"""

from django.utils import translation
from django.utils.translation import pgettext_lazy

from cases.models import FINAL_STATUSES, Stage, Status

from .actions import ACTIONS, extension_needs_leader, needs_leader
from .spec import (
    ASSIGNEE,
    EXTEND,
    LEAD_DEPARTMENT,
    PAUSE,
    PRIOR,
    REGION,
    RESTART,
    RESUME,
    SAME,
    SYSTEM_ROLE,
    Action,
    Context,
    Effect,
    Refusal,
)

S = Status

# The timed stage each status runs. Pending requests keep the handling clock running; only an
# approved suspension stops it. A void request does not stop whatever clock was running.
STAGE_OF = {
    S.REPORTED: Stage.ACCEPT,
    S.VERIFYING: Stage.VERIFY,
    S.TO_REGISTER: Stage.REGISTER,
    S.TO_DISPATCH: Stage.DISPATCH,
    S.HANDLING: Stage.HANDLING,
    S.RETURN_PENDING: Stage.HANDLING,
    S.SUSPEND_PENDING: Stage.HANDLING,
    S.SUSPENDED: Stage.HANDLING,
    S.TO_CHECK: Stage.CHECK,
    S.CHECKING: Stage.CHECK,
    S.TO_CLOSE: Stage.CLOSE,
}

# Actions that start their target stage afresh even when it is the same stage (rework gets a new limit).
RESTARTS_STAGE = frozenset(name for name, a in ACTIONS.items() if a.clock == RESTART)

# The first event of every case is its report (intake, not an action on an existing case).
REPORT_EVENT = "report"
REPORT_LABEL = pgettext_lazy("action", "Report")


def action_label(name):
    """The label of an action or of the report event; None for other events."""
    if name == REPORT_EVENT:
        return REPORT_LABEL
    spec = ACTIONS.get(name)
    return None if spec is None else spec.label


def opened_request(name):
    """The kind of request action `name` opens (None for any other action)."""
    spec = ACTIONS.get(name)
    return spec.request_kind if spec is not None and spec.request_kind and spec.decides is None else None


def decided_request(name):
    """(kind, approved) of the request action `name` decides; None for any other action."""
    spec = ACTIONS.get(name)
    if spec is None or spec.request_kind is None or spec.decides is None:
        return None
    return spec.request_kind, spec.decides


def actions_from(status):
    """The actions whose sources include `status`."""
    return [a for a in ACTIONS.values() if status in a.sources]


def all_params():
    """Every parameter by name; one name means one parameter whichever action takes it."""
    found = {}
    for spec in ACTIONS.values():
        for param in spec.params:
            other = found.setdefault(param.name, param)
            assert type(other) is type(param), f"parameter {param.name} declared with two kinds"
    return found


def as_mermaid():
    """The state machine as a Mermaid diagram (`manage.py workflow_diagram`)."""
    lines = ["stateDiagram-v2", "    [*] --> reported: report"]
    for spec in ACTIONS.values():
        for outcome, target in spec.targets.items():
            label = spec.name if outcome is None else f"{spec.name} ({outcome})"
            for source in sorted(spec.sources):
                shown = {SAME: source, PRIOR: "previous"}.get(target, target)
                lines.append(f"    {source} --> {shown}: {label}")
    for final in sorted(FINAL_STATUSES):
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines)


def _in_chinese(text):
    with translation.override("zh-hans"):
        return str(text)


def _cell(text):
    return str(text).replace("|", "\\|")


def as_table():
    """The actions as a Markdown table, one row a declaration."""
    rows = [
        "| action | label | 中文 | from | to | who | scope | parameters | refused when | clock | request | follow-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in ACTIONS.values():
        targets = ", ".join(
            ({SAME: "(same)", PRIOR: "(previous)"}.get(t, t) if o is None else f"{o}: {t}")
            for o, t in spec.targets.items()
        )
        open_statuses = frozenset(s for s in Status if s not in FINAL_STATUSES)
        sources = ", ".join(sorted(spec.sources))
        if spec.sources == open_statuses - {S.VOID_PENDING}:
            sources = "any open status but void_pending"
        extras = [p.name for p in spec.params] + (["note"] if spec.needs_note else [])
        extras += [f"photos ({spec.photo_kind})"] if spec.needs_photo else []
        request = ""
        if spec.request_kind:
            verb = {None: "opens", True: "approves", False: "rejects"}[spec.decides]
            request = f"{verb} {spec.request_kind}"
        cells = [
            f"`{spec.name}`",
            spec.label,
            _in_chinese(spec.label),
            sources,
            targets,
            ", ".join(sorted(spec.roles)),
            spec.scope,
            ", ".join(extras),
            "; ".join(str(g.message()) for g in spec.guards),
            spec.clock or "",
            request,
            ", ".join(spec.follow_up),
        ]
        rows.append("| " + " | ".join(_cell(c) or "—" for c in cells) + " |")
    return "\n".join(rows)


def as_document():
    """docs/actions.md: how to read and add an action, the diagram and the table (`workflow_diagram --doc`)."""
    with translation.override("en"):
        return _document()


def _document():
    return "\n".join(
        [
            "# Workflow actions",
            "",
            "Generated from the declarations in `cases/workflow/actions.py` by",
            "`python manage.py workflow_diagram --doc > docs/actions.md`; a test fails when this file is out of date.",
            "Every action is one declaration there: who may take it (roles and how they relate to the case),",
            "from which statuses, its parameters, the guards that refuse it (with the answer the user gets), its",
            "effect, what it does to the stage clock, the request it opens or decides and the follow-up work other",
            "apps do after it commits. The transition service, `allowed_actions`, the API serializer and the page",
            "and phone forms all read the declaration, so an action offered to a user is one that user may take.",
            "",
            "## States",
            "",
            "```mermaid",
            as_mermaid(),
            "```",
            "",
            "## Actions",
            "",
            as_table(),
            "",
        ]
    )


__all__ = [
    "ACTIONS",
    "ASSIGNEE",
    "EXTEND",
    "LEAD_DEPARTMENT",
    "PAUSE",
    "PRIOR",
    "REGION",
    "REPORT_EVENT",
    "RESTART",
    "RESTARTS_STAGE",
    "RESUME",
    "SAME",
    "STAGE_OF",
    "SYSTEM_ROLE",
    "Action",
    "Context",
    "Effect",
    "Refusal",
    "action_label",
    "actions_from",
    "all_params",
    "as_document",
    "as_mermaid",
    "as_table",
    "extension_needs_leader",
    "needs_leader",
    "opened_request",
    "decided_request",
]
