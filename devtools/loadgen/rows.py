"""A batch of drafts becomes COPY text: merges linked, ids and numbers given, rows rendered.

COPY text format: tab-separated, `\\N` for NULL. Generated texts never contain tabs, newlines or
backslashes (names from the database are cleaned once in `clean`), so no per-field escaping is needed.
"""

import io
from dataclasses import dataclass

from . import spread
from .simulate import EMPTY, MergeData

DAY = 1440
NULL = "\\N"
MERGE_WINDOW = 7 * DAY  # duplicate candidates: same class, same street, reported in the last 7 days

CASE_COLUMNS = (
    "id", "number", "kind", "urgency", "description", "point", "address", "region_path", "source",
    "contact_name", "contact_phone", "self_handled", "status", "stage", "stage_started_at", "stage_warn_at",
    "stage_deadline", "stage_remaining", "stage_budget", "stage_clock", "timer_due_at", "overdue",
    "supervised", "command_level", "escalated",  # no routing row is written: every loaded case is the district's
    "duplicate_count", "rework_count", "extension_count", "resume_status", "created_at", "updated_at",
    "closed_at", "assignee_id", "category_id", "created_by_id", "duplicate_of_id", "filing_condition_id",
    "lead_department_id", "region_id", "reporter_id", "callback_requested", "work_order_number",
)  # fmt: skip
EVENT_COLUMNS = (
    "case_id", "action", "from_status", "to_status", "actor_id", "actor_role", "at", "note", "data", "stage",
    "stage_deadline", "stage_met", "department_id", "region_path",
)  # fmt: skip
REQUEST_COLUMNS = (
    "id", "case_id", "kind", "state", "reason", "hours", "requested_by_id", "requested_at", "department_id",
    "decided_by_id", "decided_at", "decision_note",
)  # fmt: skip
ASSISTING_COLUMNS = ("case_id", "department_id")


def clean(text: str) -> str:
    return text.replace("\\", "/").replace("\t", " ").replace("\n", " ").replace("\r", " ")


@dataclass
class Rendered:
    """A batch's COPY input per table, UTF-8 encoded (a str buffer of Chinese text would take 2–4 bytes a character)."""

    cases: io.BytesIO
    events: io.BytesIO
    requests: io.BytesIO
    assisting: io.BytesIO
    counts: tuple  # (cases, events, requests, assisting rows)


def link_merges(drafts, rng):
    """Point each merged report at an earlier open case of the same class and street (else: a refusal)."""
    recent = {}
    for d in drafts:
        key = (d.kind.id, d.leaf.street)
        if d.goal == "merged":
            event = next(e for e in d.events if e[1] == "merge")
            master = _master(recent.get(key, ()), d.created, event[0])
            if master is None:
                event[1], event[6], event[7] = "refuse", rng.choice(spread.NOTES["merged"]), EMPTY
            else:
                d.duplicate_of = master
                master.duplicate_count += 1
        recent.setdefault(key, []).append(d)
        if len(recent[key]) > 40:
            del recent[key][:20]


def _master(candidates, reported, merged_at):
    for master in reversed(candidates):
        if master.created < reported - MERGE_WINDOW:
            return None
        if master.goal != "merged" and (master.closed is None or master.closed > merged_at):
            return master
    return None


def number_cases(drafts, ids, first_numbers, day_text):
    """Give ids (ascending with the report time) and daily numbers (first_numbers: day index -> first seq).

    The number is the live format (cases/services/numbers.py): kind + class code + yyyymmdd + sequence.
    """
    following = dict(first_numbers)
    for d, case_id in zip(drafts, ids, strict=True):
        d.id = case_id
        day = d.created // DAY
        sequence = following[day]
        following[day] = sequence + 1
        d.number = f"{d.kind.kind}{d.kind.code}{day_text(day)}{sequence:04d}"
    for d in drafts:
        for event in d.events:
            if isinstance(event[7], MergeData):
                event[7].number = d.duplicate_of.number


def render(drafts, clock, request_ids) -> Rendered:
    """COPY input of the batch; `request_ids` are handed out to the requests in order."""
    text = clock.text
    ids = iter(request_ids)
    rendered = Rendered(io.BytesIO(), io.BytesIO(), io.BytesIO(), io.BytesIO(), ())
    cases, events = rendered.cases.write, rendered.events.write
    requests, assisting = rendered.requests.write, rendered.assisting.write
    counts = [0, 0, 0, 0]
    for d in drafts:
        cases(_case_line(d, text).encode())
        path, case_id = d.leaf.path, d.id
        for r in d.requests:
            r[0] = next(ids)
            requests(_request_line(case_id, r, text).encode())
        for at, action, source, target, actor, role, note, data, stage, deadline, met, department in d.events:
            events(
                f"{case_id}\t{action}\t{source}\t{target}\t{actor}\t{role}\t{text(at)}\t{note}\t"
                f"{data if data.__class__ is str else data.text()}\t{stage}\t"
                f"{NULL if deadline is None else text(deadline)}\t{NULL if met is None else 'tf'[not met]}\t"
                f"{NULL if department is None else department}\t{path}\n".encode()
            )
        for department in d.assisting:
            assisting(f"{case_id}\t{department}\n".encode())
        counts[0] += 1
        counts[1] += len(d.events)
        counts[2] += len(d.requests)
        counts[3] += len(d.assisting)
    rendered.counts = tuple(counts)
    return rendered


def _n(value):
    return NULL if value is None else str(value)


def _minutes(value):
    """A stage-clock amount in minutes as PostgreSQL interval input."""
    return NULL if value is None else f"{value} minutes"


def _t(text, minute):
    return NULL if minute is None else text(minute)


def _hotline(d):
    """(call-back wanted, work-order number): a 12345 transfer carries the hotline's number (HZ, its day, the case
    id: unique), and a third of its callers want to hear the result."""
    if d.source != "hotline_12345":
        return "f", ""
    return "tf"[d.id % 3 != 0], f"HZ{d.number[-12:-4]}{d.id:07d}"


def _case_line(d, text):
    registered = d.registered
    fields = (
        str(d.id), d.number, d.kind.kind, d.urgency if registered else "normal", d.description, d.point,
        d.address, d.leaf.path, d.source, d.contact_name, d.contact_phone, "tf"[not d.self_handled], d.status,
        d.stage, _t(text, d.started), _t(text, d.warn), _t(text, d.deadline), _minutes(d.remaining), _minutes(d.limit),
        d.clock, _t(text, d.timer), "tf"[not d.overdue], "f", "district", "f", str(d.duplicate_count), str(d.rework),
        str(d.extensions), d.resume,
        text(d.created), text(d.updated), _t(text, d.closed), _n(d.assignee), str(d.kind.id), str(d.created_by),
        NULL if d.duplicate_of is None else str(d.duplicate_of.id), str(d.condition.id) if registered else NULL,
        _n(d.lead), str(d.leaf.id), _n(d.reporter), *_hotline(d),
    )  # fmt: skip
    return "\t".join(fields) + "\n"


def _request_line(case_id, r, text):
    request_id, kind, state, reason, hours, requested_by, requested_at, department, decided_by, decided_at, note = r
    fields = (
        str(request_id), str(case_id), kind, state, reason, NULL if hours is None else f"{hours}.00",
        str(requested_by), text(requested_at), _n(department), _n(decided_by), _t(text, decided_at), note,
    )  # fmt: skip
    return "\t".join(fields) + "\n"
