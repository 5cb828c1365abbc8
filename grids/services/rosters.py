"""Duty rosters (值班表): importing a roster from CSV and copying a week's roster to the next.

A shift names a department or a patrol area; a shift naming neither is the command centre's own (值班长, 派遣员).

Both are all-or-nothing: a CSV with one bad line writes nothing and names every bad line.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from grids.models import Department, DutyKind, DutyShift, PatrolArea

from .errors import GridImportError

ROSTER_COLUMNS = ("username", "kind", "department", "patrol_area", "starts_at", "ends_at", "phone", "note")
ROSTER_MAX_ROWS = 5000


@dataclass(frozen=True)
class RosterImportReport:
    created: int
    skipped: int  # lines identical to a shift already in the roster


def _parse_time(text):
    value = parse_datetime((text or "").strip().replace("/", "-"))
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _key(shift):
    return (shift.user_id, shift.kind, shift.department_id, shift.patrol_area_id, shift.starts_at, shift.ends_at)


def _read_rows(text: str):
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("username", "starts_at", "ends_at") if c not in (reader.fieldnames or [])]
    if missing:
        raise GridImportError(_("The roster lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)})
    rows = list(reader)
    if len(rows) > ROSTER_MAX_ROWS:
        raise GridImportError(_("A roster file holds at most %(max)d lines.") % {"max": ROSTER_MAX_ROWS})
    return rows


def _shift_of(row, users, departments, areas):
    """One CSV line as an unsaved DutyShift, or the list of what is wrong with it."""
    problems = []
    get = lambda name: (row.get(name) or "").strip()  # noqa: E731
    user = users.get(get("username"))
    if user is None:
        problems.append(_("no active user %(name)s") % {"name": get("username")})
    kind = get("kind") or DutyKind.OFFICER
    if kind not in DutyKind.values:
        problems.append(_("duty must be one of %(values)s") % {"values": ", ".join(DutyKind.values)})
    department = departments.get(get("department")) if get("department") else None
    area = areas.get(get("patrol_area")) if get("patrol_area") else None
    if get("department") and department is None:
        problems.append(_("no department %(code)s") % {"code": get("department")})
    if get("patrol_area") and area is None:
        problems.append(_("no patrol area %(code)s") % {"code": get("patrol_area")})
    if get("department") and get("patrol_area"):
        problems.append(_("name a department or a patrol area, not both"))
    starts, ends = _parse_time(get("starts_at")), _parse_time(get("ends_at"))
    if starts is None or ends is None:
        problems.append(_("times must read like 2026-12-07 08:30"))
    elif ends <= starts:
        problems.append(_("the shift must end after it starts"))
    elif ends - starts > timedelta(hours=48):
        problems.append(_("a shift lasts at most 48 hours"))
    if len(get("phone")) > 30 or len(get("note")) > 200:
        problems.append(_("phone or note too long"))
    if problems:
        return None, problems
    shift = DutyShift(
        user=user, kind=kind, department=department, patrol_area=area, starts_at=starts, ends_at=ends,
        phone=get("phone"), note=get("note"),
    )  # fmt: skip
    return shift, []


@transaction.atomic
def roster_import(*, text: str) -> RosterImportReport:
    """Add the shifts of a roster CSV (columns ROSTER_COLUMNS; department and patrol area by code).

    Lines equal to a shift already there are skipped, so importing the same file twice adds nothing. Raises
    GridImportError listing every bad line; then nothing is written.
    """
    rows = _read_rows(text)
    if not rows:
        raise GridImportError(_("The roster file has no lines."))
    names = {(r.get("username") or "").strip() for r in rows}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)}
    departments = Department.objects.in_bulk(
        {(r.get("department") or "").strip() for r in rows} - {""}, field_name="code"
    )
    areas = PatrolArea.objects.in_bulk({(r.get("patrol_area") or "").strip() for r in rows} - {""}, field_name="code")
    shifts, problems = [], []
    for line, row in enumerate(rows, start=2):
        shift, wrong = _shift_of(row, users, departments, areas)
        if wrong:
            problems.append(_("line %(line)d: %(problems)s") % {"line": line, "problems": "; ".join(wrong)})
        else:
            shifts.append(shift)
    if problems:
        raise GridImportError(_("The roster was not imported."), problems=problems)
    return roster_add_shifts(shifts)


def roster_add_shifts(shifts) -> RosterImportReport:
    """Save the unsaved `shifts` not already in the roster (same person, duty, unit and times)."""
    if not shifts:
        return RosterImportReport(created=0, skipped=0)
    first, last = min(s.starts_at for s in shifts), max(s.ends_at for s in shifts)
    known = {_key(s) for s in DutyShift.objects.filter(starts_at__gte=first, ends_at__lte=last)}
    new = []
    for shift in shifts:
        if _key(shift) not in known:
            known.add(_key(shift))
            new.append(shift)
    DutyShift.objects.bulk_create(new)
    return RosterImportReport(created=len(new), skipped=len(shifts) - len(new))


@transaction.atomic
def roster_copy_week(*, week_of: date, shift_ids=None) -> RosterImportReport:
    """Copy the shifts starting in the week (Monday–Sunday) of `week_of` seven days later (only `shift_ids` when
    given); shifts already there are skipped, so copying twice adds nothing."""
    monday = week_of - timedelta(days=week_of.weekday())
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    source = DutyShift.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=7))
    if shift_ids is not None:
        source = source.filter(pk__in=shift_ids)
    week = timedelta(days=7)
    copies = [
        DutyShift(
            user_id=s.user_id, kind=s.kind, department_id=s.department_id, patrol_area_id=s.patrol_area_id,
            starts_at=s.starts_at + week, ends_at=s.ends_at + week, phone=s.phone, note=s.note,
        )
        for s in source
    ]  # fmt: skip
    return roster_add_shifts(copies)
