"""Load the statistical division table (code, name, level, parent) into the region tree."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from grids.models import LEVEL_DEPTH, AreaClass, Level, Region

from .errors import GridImportError
from .output import say

# GB/T 2260 + NBS rules: the digits that tell the kind of unit apart (DOMAIN.md §2).
CODE_LENGTH = {Level.CITY: 4, Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.UNIT: 15}
PARENT_LEVEL = {
    Level.DISTRICT: Level.CITY,
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.UNIT: Level.COMMUNITY,
}
COLUMNS = ("code", "name", "level", "parent_code")
NAME_MAX = Region._meta.get_field("name").max_length


@dataclass(frozen=True)
class DivisionRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]


def divisions_import(*, path, stdout=None) -> dict:
    """Create or update regions from a code,name,level,parent_code CSV; atomic; GridImportError lists bad rows."""
    # The area class is set only when a region is created: an administrator's later classification survives
    # a refresh of the table.
    rows = _read_rows(Path(path))
    existing = {
        r.code: r
        for r in Region.objects.only("id", "code", "name", "level", "depth", "parent_id", "path", "area_class")
    }
    _check_rows(rows, existing)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        by_code = dict(existing)
        for depth in sorted({row.depth for row in rows}):
            _write_depth([row for row in rows if row.depth == depth], by_code, counts)
        _repair_paths()
    counts["total"] = len(rows)
    say(
        stdout,
        _("Divisions: %(created)d created, %(updated)d updated, %(unchanged)d unchanged (%(total)d rows).") % counts,
    )
    return counts


def area_class_for(*, code: str, level: str, parent_code: str = "") -> str:
    """The default area class: urban sub-districts (街道) and their residents' committees are class 1."""
    if level == Level.CITY:
        return AreaClass.CLASS_1
    if level == Level.DISTRICT:
        # GB/T 2260: county-level digits 01–20 are city districts (市辖区), 21 and up counties (县).
        return AreaClass.CLASS_1 if 1 <= int(code[4:6]) <= 20 else AreaClass.CLASS_2
    if level == Level.STREET:
        return AreaClass.CLASS_1 if _is_subdistrict(code) else AreaClass.CLASS_2
    # Community digits 001–199 are residents' committees, 200–399 villages; 4xx are "similar to residents'".
    digits = int(code[9:12])
    committee = digits < 200 or 400 <= digits < 500
    return AreaClass.CLASS_1 if committee and _is_subdistrict(parent_code or code[:9]) else AreaClass.CLASS_2


def _is_subdistrict(street_code: str) -> bool:
    # Street digits 001–099 are 街道, 100–199 镇, 200–399 乡, 400+ special zones.
    return len(street_code) >= 9 and 1 <= int(street_code[6:9]) <= 99


def _read_rows(path: Path) -> list[DivisionRow]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise GridImportError(
                    _("%(file)s lacks the column(s) %(columns)s; expected %(expected)s.")
                    % {"file": path.name, "columns": ", ".join(missing), "expected": ",".join(COLUMNS)}
                )
            return [
                DivisionRow(
                    line=reader.line_num,
                    code=(raw["code"] or "").strip(),
                    name=(raw["name"] or "").strip(),
                    level=(raw["level"] or "").strip().lower(),
                    parent_code=(raw["parent_code"] or "").strip(),
                )
                for raw in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GridImportError(_("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": exc}) from exc


def _check_rows(rows: list[DivisionRow], existing: dict) -> None:
    """Every problem of the file at once, so one correction round is enough."""
    problems = []
    levels = {row.code: row.level for row in rows}
    levels.update({code: r.level for code, r in existing.items() if code not in levels})
    seen = set()
    for row in rows:
        where = _("line %(line)d (%(code)s %(name)s)") % {"line": row.line, "code": row.code, "name": row.name}
        if row.level not in CODE_LENGTH:
            problems.append(
                _("%(where)s: unknown level “%(level)s”; use one of %(levels)s.")
                % {"where": where, "level": row.level, "levels": ", ".join(CODE_LENGTH)}
            )
            continue
        if not row.code.isdigit() or len(row.code) != CODE_LENGTH[row.level]:
            problems.append(
                _("%(where)s: a %(level)s code has %(digits)d digits.")
                % {"where": where, "level": row.level, "digits": CODE_LENGTH[row.level]}
            )
        if row.code in seen:
            problems.append(_("%(where)s: the code appears twice in the file.") % {"where": where})
        seen.add(row.code)
        if not row.name or len(row.name) > NAME_MAX:
            problems.append(
                _("%(where)s: the name must have 1 to %(max)d characters.") % {"where": where, "max": NAME_MAX}
            )
        problems.extend(_parent_problems(row, where, levels))
    if problems:
        raise GridImportError(
            _("The division file has %(count)d bad row(s); nothing was imported.") % {"count": len(problems)},
            problems=problems,
        )


def _parent_problems(row: DivisionRow, where: str, levels: dict) -> list[str]:
    expected = PARENT_LEVEL.get(row.level)
    if expected is None:
        if row.parent_code:
            return [
                _("%(where)s: a city has no parent, found %(parent)s.") % {"where": where, "parent": row.parent_code}
            ]
        return []
    if not row.parent_code:
        return [_("%(where)s: a %(level)s needs a parent_code.") % {"where": where, "level": row.level}]
    if row.parent_code not in levels:
        return [
            _("%(where)s: the parent %(parent)s is neither in the file nor in the database.")
            % {"where": where, "parent": row.parent_code}
        ]
    if levels[row.parent_code] != expected:
        return [
            _("%(where)s: the parent %(parent)s is a %(found)s, a %(level)s needs a %(expected)s.")
            % {
                "where": where,
                "parent": row.parent_code,
                "found": levels[row.parent_code],
                "level": row.level,
                "expected": expected,
            }
        ]
    return []


def _write_depth(rows: list[DivisionRow], by_code: dict, counts: dict) -> None:
    """One depth at a time, so every parent already has its id and path when its children are written."""
    to_create, to_update = [], []
    for row in rows:
        parent = by_code.get(row.parent_code) if row.parent_code else None
        path = (parent.path if parent else "/") + f"{row.code}/"
        values = {
            "name": row.name,
            "level": row.level,
            "depth": row.depth,
            "parent_id": parent.pk if parent else None,
            "path": path,
        }
        region = by_code.get(row.code)
        if region is None:
            region = Region(
                code=row.code,
                area_class=_initial_area_class(row, parent),
                **values,
            )
            to_create.append(region)
            by_code[row.code] = region
        elif any(getattr(region, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(region, field, value)
            to_update.append(region)
        else:
            counts["unchanged"] += 1
    Region.objects.bulk_create(to_create, batch_size=1000)
    Region.objects.bulk_update(to_update, ["name", "level", "depth", "parent_id", "path"], batch_size=1000)
    counts["created"] += len(to_create)
    counts["updated"] += len(to_update)


def _initial_area_class(row: DivisionRow, parent) -> str:
    if row.level == Level.UNIT:
        return parent.area_class if parent else AreaClass.CLASS_2
    return area_class_for(code=row.code, level=row.level, parent_code=row.parent_code)


def _repair_paths() -> None:
    """Recompute every materialized path from the tree: regions absent from the file may sit under a moved parent."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE tree(id, path) AS (
                SELECT id, '/' || code || '/' FROM grids_region WHERE parent_id IS NULL
                UNION ALL
                SELECT r.id, t.path || r.code || '/' FROM grids_region r JOIN tree t ON r.parent_id = t.id
            )
            UPDATE grids_region r SET path = t.path FROM tree t WHERE r.id = t.id AND r.path <> t.path
            """
        )
