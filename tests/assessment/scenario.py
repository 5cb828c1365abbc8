"""A month of cases walked through the real services at chosen times, with figures known by hand.

October 2026, the persona handler's department (城市管理和综合执法局), the demo catalogue's 暴露垃圾 (E0102):

A  handled within the limit, checked, closed          → handled on time, closed on time
B  handled four days late, checked, closed            → handled late, closed
C  handled on time, check failed (rework), handled again on time, closed
D  dispatched and left in handling: its deadline passes in October → overdue, not handled
E  dispatched, returned by the department (wrong dispatch)

So for the department: dispatched 5, handled 4 (C twice), on time 3, late 1, overdue 1, due 5, closed 3
(A, B, C's second round), closed on time 2, checks 4, reworked 1, one approved return.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.fixtures.cases import jpeg_upload

TZ = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return datetime(2026, 10, day, hour, minute, tzinfo=TZ)


def dispatched(cases, day):
    case = cases.report(now=at(day, 9, 0))
    case = cases.act(case, "operator", "accept", now=at(day, 9, 5))
    case = cases.act(
        case, "shift_lead", "register", filing_condition=cases.condition.pk, urgency="normal", now=at(day, 9, 10)
    )
    department = cases.p["handler_department"].code
    return cases.act(case, "dispatcher", "dispatch", lead_department=department, now=at(day, 9, 15))


def handled(cases, case, when):
    case = cases.act(case, "handler", "feedback", note="已清理", photos=[jpeg_upload()], now=when)
    check_at = when.replace(minute=when.minute + 5)
    return cases.act(case, "operator", "request_check", assignee=cases.p["grid_worker"].username, now=check_at)


def checked(cases, case, passed, when):
    return cases.act(case, "grid_worker", "check", passed=passed, now=when)


def october(cases):
    """Walk A–E; returns them by letter."""
    a = dispatched(cases, 12)
    a = handled(cases, a, at(12, 9, 45))
    a = checked(cases, a, True, at(12, 10, 30))
    a = cases.act(a, "shift_lead", "close", now=at(12, 10, 40))

    b = dispatched(cases, 12)
    b = handled(cases, b, at(16, 10, 0))
    b = checked(cases, b, True, at(16, 10, 30))
    b = cases.act(b, "shift_lead", "close", now=at(16, 10, 40))

    c = dispatched(cases, 13)
    c = handled(cases, c, at(13, 9, 45))
    c = checked(cases, c, False, at(13, 10, 30))
    c = handled(cases, c, at(13, 11, 0))
    c = checked(cases, c, True, at(13, 11, 20))
    c = cases.act(c, "shift_lead", "close", now=at(13, 11, 30))

    d = dispatched(cases, 14)

    e = dispatched(cases, 20)
    e = cases.act(e, "handler", "request_return", note="不属于本单位", now=at(20, 10, 0))
    e = cases.act(e, "dispatcher", "approve_return", now=at(20, 10, 30))
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


EXPECTED = {
    "dispatched": 5,
    "handled": 4,
    "handled_on_time": 3,
    "handled_late": 1,
    "overdue_open": 1,
    "closed": 3,
    "closed_on_time": 2,
    "checked": 4,
    "reworked": 1,
    "wrong_dispatches": 1,
}
