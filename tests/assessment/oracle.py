"""The assessment's counts by brute force: case by case, event by event, in plain Python.

Written from the definitions (assessment/indicators/counts.py and sql.py docstrings) and from the workflow
table, not from the SQL: stage instances are rebuilt by walking each case's events, "later" facts are looked up
by scanning the case's events, event details are read from their `data`. The property test compares this with
the SQL on random histories. The missed reports (漏报) read the patrol tracks: `oracle_missed`.
"""

from collections import defaultdict
from datetime import datetime

from cases.models import FINAL_STATUSES
from cases.workflow import STAGE_OF

POSTS = ("grid_worker", "operator", "shift_lead", "dispatcher")
REGISTERED_STAGES = ("dispatch", "handling", "check", "close")


def _ends_stage(event, stage):
    """Whether `event` ended a stage instance of `stage` (the workflow's rule, cases/services/transitions.py)."""
    if event.stage != stage or event.from_status == event.to_status and event.action.startswith(("timer", "order")):
        return False
    if event.to_status in FINAL_STATUSES:
        return True
    # A check and a re-dispatch (改派) from handling end their stage and start a new one of the same kind.
    return STAGE_OF.get(event.to_status, event.stage) != stage or event.action in ("check", "redispatch")


def oracle_counts(cases, events, *, start, end, bound, upto=None):
    """(departments {id: counts}, leaves {path: counts}, posts {(user id, role): counts}) — non-zero counts only."""
    bound = min(bound, end)
    upto = upto if upto is not None else float("inf")
    by_case = defaultdict(list)
    for e in events:
        by_case[e.case_id].append(e)
    departments = defaultdict(lambda: defaultdict(float))
    leaves = defaultdict(lambda: defaultdict(float))
    posts = defaultdict(lambda: defaultdict(float))

    def add(e_department, e_region, name, amount=1):
        if e_department is not None:
            departments[e_department][name] += amount
        leaves[e_region][name] += amount

    for case in cases:
        history = sorted(by_case[case.pk], key=lambda e: e.id)
        seen = [e for e in history if e.id <= upto]
        for i, e in enumerate(seen):
            if not (start <= e.at < end):
                continue
            later = [x for x in seen[i + 1 :] if x.at < end]
            _unit_counts(e, later, history, add)
            if e.actor_id is not None and e.actor_role in POSTS:
                _post_counts(e, later, posts[(e.actor_id, e.actor_role)])
        _overdue(case, history, start, end, bound, upto, add, posts)
    clean = lambda table: {k: {n: v for n, v in c.items() if v} for k, c in table.items() if any(c.values())}  # noqa: E731
    return clean(departments), clean(leaves), clean(posts)


def _unit_counts(e, later, history, add):
    d, r, a = e.department_id, e.region_path, e.action
    put = lambda name, amount=1: add(d, r, name, amount)  # noqa: E731
    if a == "accept":
        put("accepted")
    if a == "self_close":
        put("self_handled")
    if a == "register":
        put("filed")
        if e.stage_met is True:
            put("filed_on_time")
    if a == "approve_void" and e.stage in REGISTERED_STAGES:
        put("voided_after_filing")
    if a == "verify":
        put("verified")
        if e.stage_met is True:
            put("verified_on_time")
        if e.data.get("result") is True:
            put("public_verified")
    if a == "dispatch":
        put("dispatched")
        if e.stage_met is True:
            put("dispatched_on_time")
    if (a == "approve_return" and e.data.get("wrong_dispatch")) or (a == "redispatch" and e.stage == "handling"):
        put("wrong_dispatches")
    if a == "request_extension":
        put("extension_requests")
    if a == "approve_extension":
        put("extended")
    if a == "check":
        put("checked")
        if e.data.get("passed") is False:
            put("reworked")
        if e.stage_met is True:
            put("checked_on_time")
    if a == "close":
        put("close_steps")
        if e.stage_met is True:
            put("close_steps_on_time")
    if a in ("rate", "callback") and e.data.get("satisfaction"):
        put("rated")
        if e.data["satisfaction"] == "satisfied":
            put("rated_satisfied")
        if e.data["satisfaction"] == "basic":
            put("rated_basic")
    if a == "order_issued":
        # 督办: the first reply or withdrawal of the same order among the later events of the period.
        settled = next(
            (
                x
                for x in later
                if x.action in ("order_replied", "order_withdrawn") and x.data.get("order") == e.data.get("order")
            ),
            None,
        )
        withdrawn = settled is not None and settled.action == "order_withdrawn"
        if not withdrawn:
            put("orders_due")
        if settled is not None and not withdrawn:
            put("orders_replied")
            if settled.at <= datetime.fromisoformat(e.data["reply_deadline"]):
                put("orders_replied_on_time")
    if a == "transfer_to_enforcement":
        put("transfers")
        if e.stage_deadline is not None and e.at <= e.stage_deadline:
            put("transfers_on_time")
    if a == "feedback":
        put("handled")
        if e.stage_met is True:
            put("handled_on_time")
        if e.stage_met is False:
            put("handled_late")
        close = next((x for x in later if x.action == "close"), None)
        if close is not None and not any(x.action == "feedback" and e.id < x.id < close.id for x in later):
            put("closed")
            if e.stage_met is True:
                put("closed_on_time")
        starts = [
            x
            for x in history
            if x.id < e.id
            and (
                x.action in ("dispatch", "redispatch", "reopen")
                or (x.action == "check" and x.data.get("passed") is False)
            )
        ]
        put("handling_seconds", (e.at - starts[-1].at).total_seconds())


def _post_counts(e, later, figures):
    a = e.action
    if a == "report":
        figures["reports"] += 1
        if any(x.action in ("register", "self_close") for x in later):
            figures["effective_reports"] += 1
        if any(x.action == "self_close" for x in later):
            figures["self_handled_reports"] += 1
    if a == "accept":
        figures["accepted"] += 1
    if a == "register":
        figures["filed"] += 1
        figures["filed_on_time"] += e.stage_met is True
        figures["filed_voided"] += any(x.action == "approve_void" for x in later)
    if a == "verify":
        figures["verified"] += 1
        figures["verified_on_time"] += e.stage_met is True
    if a == "dispatch":
        figures["dispatched"] += 1
        figures["dispatched_on_time"] += e.stage_met is True
        figures["dispatches_returned"] += any(x.action == "approve_return" for x in later)
    if a == "check":
        figures["checked"] += 1
        figures["checked_on_time"] += e.stage_met is True
    if a == "close":
        figures["close_steps"] += 1
        figures["close_steps_on_time"] += e.stage_met is True
    if a == "request_verification":
        figures["verification_sent"] += 1
        figures["verification_sent_on_time"] += e.stage_met is True
    if a == "request_check":
        figures["check_sent"] += 1
        figures["check_sent_on_time"] += e.stage_deadline is not None and e.at <= e.stage_deadline


def _overdue(case, history, start, end, bound, upto, add, posts):
    """Stage instances whose deadline fell in [start, bound) and that had not ended by the period's end."""

    def due(deadline):
        return deadline is not None and start <= deadline < bound

    for e in history:
        after = e.at >= end or e.id > upto
        if _ends_stage(e, "handling") and due(e.stage_deadline) and after:
            add(e.department_id, e.region_path, "overdue_open")
        for stage in ("verify", "check"):
            if _ends_stage(e, stage) and e.action == stage and due(e.stage_deadline) and after:
                posts[(e.actor_id, e.actor_role)][f"overdue_{stage}"] += 1

    def started_after_run(stage):
        """For an as-of run: a later event began the running stage (or handed out its task)."""
        begins = {"handling": ("dispatch", "redispatch", "check", "reopen"), "verify": ("request_verification",)}
        begins["check"] = ("feedback", "request_check")
        return any(e.id > upto and e.action in begins[stage] for e in history)

    if case.stage == "handling" and due(case.stage_deadline) and not started_after_run("handling"):
        add(case.lead_department_id, case.region_path, "overdue_open")
    assigned = case.stage in ("verify", "check") and case.assignee_id is not None
    if assigned and due(case.stage_deadline) and not started_after_run(case.stage):
        posts[(case.assignee_id, "grid_worker")][f"overdue_{case.stage}"] += 1


def oracle_missed(*, start, end, window, tolerance_m, upto=None, track_upto=None):
    """{worker id: {case id: session id}} of the period's missed reports, by brute force.

    Written from the rule in assessment/indicators/missed.py: every case with its events in Python, every patrol
    area, unit grid, session and track point read with the ORM, track points tested in GEOS (covers; distances in
    metres in UTM zone 50N, where Huizhou lies, instead of the SQL's geography).
    """
    from cases.models import Case, CaseEvent
    from grids.models import Network, PatrolArea, PatrolSession, TrackPoint

    upto = upto if upto is not None else float("inf")
    track_upto = track_upto if track_upto is not None else float("inf")
    areas = [
        (list(a.unit_grids.filter(level="unit")), [w.pk for w in a.workers.all()])
        for a in PatrolArea.objects.filter(active=True, network=Network.CITY_MANAGEMENT)
    ]
    sessions = defaultdict(list)
    for s in PatrolSession.objects.order_by("id"):
        sessions[s.user_id].append(s)
    tracks = defaultdict(list)
    for p in TrackPoint.objects.all():
        if p.id <= track_upto:
            tracks[p.session_id].append(p)
    metric = {}

    def near(point, grid):
        if tolerance_m <= 0:
            return grid.geom.covers(point)
        if grid.pk not in metric:
            metric[grid.pk] = grid.geom.transform(32650, clone=True)
        return metric[grid.pk].distance(point.transform(32650, clone=True)) <= tolerance_m

    missed = defaultdict(dict)
    events = defaultdict(list)
    for e in CaseEvent.objects.filter(id__lte=upto if upto != float("inf") else 2**62).order_by("id"):
        events[e.case_id].append(e)
    for case in Case.objects.all():
        history = events[case.pk]
        report = next((e for e in history if e.action == "report"), None)
        if report is None or not (start <= report.at < end) or case.source == "grid_worker":
            continue
        if not any(e.action == "register" and e.at < end for e in history):
            continue
        if any(e.action == "approve_void" and e.at < end for e in history):
            continue
        t = report.at
        for grids, workers in areas:
            for grid in grids:
                if grid.pk != case.region_id:  # the grid the case was located in (covers its point)
                    continue
                for worker in workers:
                    if worker == case.reporter_id:
                        continue
                    for s in sessions[worker]:
                        if not (s.started_at <= t and (s.ended_at is None or s.ended_at >= t)):
                            continue
                        if any(t - window <= p.recorded_at <= t and near(p.point, grid) for p in tracks[s.pk]):
                            missed[worker].setdefault(case.pk, s.pk)
                            missed[worker][case.pk] = min(missed[worker][case.pk], s.pk)
    return {w: dict(c) for w, c in missed.items()}


def oracle_enforcement(events, *, start, end, bound, enforcement_upto=None):
    """(departments, leaves) counts of the enforcement chains, from their event rows, chain by chain.

    Written from counts.py's definitions: a transfer of the period opens a chain (ended when a later event of the
    chain, before the period end, declined it or filed it away); an event that ended the confirmation step in the
    period is a confirmation (on time when it met its deadline); a listing is due when its deadline falls in
    [start, min(end, bound)), lifted when a passed verification came by that deadline and before the period end.
    """
    bound = min(bound, end)
    upto = enforcement_upto if enforcement_upto is not None else float("inf")
    chains = defaultdict(list)
    for e in events:
        if e.id <= upto:
            chains[e.enforcement_id].append(e)
    departments = defaultdict(lambda: defaultdict(float))
    leaves = defaultdict(lambda: defaultdict(float))

    def add(e, name):
        departments[e.department_id][name] += 1
        leaves[e.region_path][name] += 1

    for history in chains.values():
        history.sort(key=lambda e: e.id)
        for i, e in enumerate(history):
            later = [x for x in history[i + 1 :] if x.at < end]
            if e.action == "transfer" and start <= e.at < end:
                add(e, "chains_opened")
                if any(x.to_state in ("closed", "declined") for x in later):
                    add(e, "chains_ended")
            if e.step == "confirm" and start <= e.at < end:
                add(e, "confirm_steps")
                if e.step_met is True:
                    add(e, "confirm_steps_on_time")
            if e.action == "list":
                due = datetime.fromisoformat(e.data["deadline"])
                if start <= due < bound:
                    add(e, "listings_due")
                    if any(x.action == "verify" and x.data.get("passed") is True and x.at <= due for x in later):
                        add(e, "listings_lifted")
    clean = lambda table: {k: dict(c) for k, c in table.items() if any(c.values())}  # noqa: E731
    return clean(departments), clean(leaves)


def merged(*tables):
    """Add count tables ({unit: {name: value}}) together."""
    total = defaultdict(lambda: defaultdict(float))
    for table in tables:
        for unit, counts in table.items():
            for name, value in counts.items():
                total[unit][name] += value
    return {k: dict(c) for k, c in total.items()}
