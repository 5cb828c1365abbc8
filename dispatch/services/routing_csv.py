"""The responsibility list as CSV: import (all or nothing, re-runnable) and export in the same format.

Columns: kind, category_code, region_code, lead_department_code, assisting_department_codes (|-separated),
dispatch_level, auto_dispatch, note. `lead_department_code` may be `@street_office`: the office of the street or
town the case lies in. A row updates the rule with the same (kind, category, region), or creates it.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Category, CategoryKind
from dispatch.models import CommandLevel, ResponsibilityRule
from grids.models import Department, Region

COLUMNS = [
    "kind",
    "category_code",
    "region_code",
    "lead_department_code",
    "assisting_department_codes",
    "dispatch_level",
    "auto_dispatch",
    "note",
]
STREET_OFFICE = "@street_office"
RESPONSIBILITIES_CSV = Path(settings.BASE_DIR) / "fixtures" / "huizhou" / "responsibilities.csv"
TRUE, FALSE = {"yes", "true", "1", "y", "是"}, {"no", "false", "0", "n", "", "否"}
MAX_LISTED_ERRORS = 50


class ResponsibilityImportError(Exception):
    """The file has bad rows; nothing was imported. `errors` lists them ("line 7: …")."""

    def __init__(self, errors):
        self.errors = errors
        shown = errors[:MAX_LISTED_ERRORS]
        more = len(errors) - len(shown)
        text = "\n".join(shown) + (f"\n… (+{more})" if more > 0 else "")
        super().__init__(_("The responsibility list was not imported:") + "\n" + text)


@dataclass
class _Row:
    kind: str
    category: Category | None
    region: Region
    lead: Department | None
    assisting: list
    level: str
    auto: bool
    note: str

    @property
    def key(self):
        return (self.kind, self.category.pk if self.category else None, self.region.pk)


class _Refs:
    """Categories, regions and departments by code, three queries for the whole file."""

    def __init__(self):
        self.categories = {(c.kind, c.code): c for c in Category.objects.all()}
        self.regions = {r.code: r for r in Region.objects.defer("geom")}
        self.departments = {d.code: d for d in Department.objects.all()}


def responsibilities_import(*, path=None, text: str | None = None) -> dict:
    """Create or update the rules listed in a CSV file (path) or string; all or nothing.

    Returns {"created": n, "updated": n}; raises ResponsibilityImportError listing every bad row.
    Imported rules are active; rules not in the file are left as they are.
    """
    if text is None:
        text = Path(path or RESPONSIBILITIES_CSV).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ResponsibilityImportError([_("missing columns: %(columns)s") % {"columns": ", ".join(missing)}])
    refs, rows, errors, seen = _Refs(), [], [], {}
    for line, raw in enumerate(reader, start=2):
        try:
            row = _parse(raw, refs)
        except ValueError as exc:
            errors.append(_("line %(line)s: %(error)s") % {"line": line, "error": exc})
            continue
        if row.key in seen:
            errors.append(
                _("line %(line)s: the same kind, category and region as line %(other)s")
                % {"line": line, "other": seen[row.key]}
            )
            continue
        seen[row.key] = line
        rows.append(row)
    if errors:
        raise ResponsibilityImportError(errors)
    return _save(rows)


def _parse(raw, refs) -> _Row:
    value = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    kind = value["kind"].upper()
    code = value["category_code"].upper()
    if code[:1] in CategoryKind.values:
        if kind and kind != code[0]:
            raise ValueError(_("category %(code)s is not of kind %(kind)s") % {"code": code, "kind": kind})
        kind, code = code[0], code[1:]
    if kind not in ("", *CategoryKind.values):
        raise ValueError(_("kind must be C, E or empty, not “%(kind)s”") % {"kind": value["kind"]})
    category = None
    if code:
        if not kind:
            raise ValueError(_("give the kind (C or E) of category %(code)s") % {"code": code})
        category = refs.categories.get((kind, code))
        if category is None:
            raise ValueError(_("unknown category %(kind)s%(code)s") % {"kind": kind, "code": code})
    region = refs.regions.get(value["region_code"])
    if region is None:
        raise ValueError(_("unknown region “%(code)s”") % {"code": value["region_code"]})
    lead = None
    if value["lead_department_code"] != STREET_OFFICE:
        lead = _department(refs, value["lead_department_code"])
    assisting = [_department(refs, c.strip()) for c in value["assisting_department_codes"].split("|") if c.strip()]
    if lead is not None and lead in assisting:
        raise ValueError(_("the lead department cannot also assist"))
    if value["dispatch_level"] not in CommandLevel.values:
        raise ValueError(_("dispatch_level must be city or district"))
    auto = value["auto_dispatch"].lower()
    if auto not in TRUE | FALSE:
        raise ValueError(_("auto_dispatch must be yes or no"))
    if len(value["note"]) > ResponsibilityRule._meta.get_field("note").max_length:
        raise ValueError(_("the note is too long"))
    return _Row(kind, category, region, lead, assisting, value["dispatch_level"], auto in TRUE, value["note"])


def _department(refs, code):
    department = refs.departments.get(code)
    if department is None:
        raise ValueError(_("unknown department “%(code)s”") % {"code": code})
    return department


@transaction.atomic
def _save(rows) -> dict:
    rules = ResponsibilityRule.objects.order_by().select_for_update()
    existing = {(r.kind, r.category_id, r.region_id): r for r in rules}
    pairs = []
    for row in rows:
        rule = existing.get(row.key) or ResponsibilityRule(kind=row.kind, category=row.category, region=row.region)
        rule.lead_department, rule.lead_street_office = row.lead, row.lead is None
        rule.dispatch_level, rule.auto_dispatch, rule.note, rule.active = row.level, row.auto, row.note, True
        pairs.append((rule, row))
    created = [rule for rule, _row in pairs if rule.pk is None]
    updated = [rule for rule, _row in pairs if rule.pk is not None]
    ResponsibilityRule.objects.bulk_create(created)
    fields = ["lead_department", "lead_street_office", "dispatch_level", "auto_dispatch", "note", "active"]
    ResponsibilityRule.objects.bulk_update(updated, fields, batch_size=500)
    through = ResponsibilityRule.assisting_departments.through
    through.objects.filter(responsibilityrule__in=[rule.pk for rule in updated]).delete()
    through.objects.bulk_create(
        [through(responsibilityrule_id=rule.pk, department_id=d.pk) for rule, row in pairs for d in row.assisting]
    )
    return {"created": len(created), "updated": len(updated)}


def responsibilities_export(*, stream) -> int:
    """Write the active rules to `stream` in the import format; returns the number of rules written."""
    rules = (
        ResponsibilityRule.objects.filter(active=True)
        .select_related("category", "region", "lead_department")
        .prefetch_related("assisting_departments")
        .order_by("kind", "category__code", "region__path", "id")
    )
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for rule in rules:
        writer.writerow(
            [
                rule.kind,
                rule.category.code if rule.category_id else "",
                rule.region.code,
                STREET_OFFICE if rule.lead_street_office else rule.lead_department.code,
                "|".join(sorted(d.code for d in rule.assisting_departments.all())),
                rule.dispatch_level,
                "yes" if rule.auto_dispatch else "no",
                rule.note,
            ]
        )
        count += 1
    return count
