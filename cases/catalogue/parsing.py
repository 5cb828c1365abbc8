"""Validation of a catalogue file (format cityops-catalogue/1) into plain rows, with every problem located.

The file (see fixtures/huizhou/catalogue.json) is a JSON object: "categories" lists majors
({"kind": "E", "code": "01", "name": …}) and minors (plus "parent": "01", optional "initials" and "active",
and "filing_conditions": [{"name", "filing_text", "closing_text", "clock", "time_limits": [{"urgency",
"area_class", "value", "unit"}, …]}]); "step_limits" lists {"step", "value", "unit"}. Other keys are notes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import product

from django.utils.translation import gettext as _

from cases.models import (
    REQUIRED_URGENCIES,
    Category,
    CategoryKind,
    Clock,
    FilingCondition,
    Step,
    TimeLimit,
    TimeUnit,
    Urgency,
)

from .errors import CatalogueImportError

FORMAT = "cityops-catalogue/1"
AREA_CLASSES = tuple(value for value, _label in TimeLimit._meta.get_field("area_class").choices)
# A natural clock counts 7×24 hours; working hours and days only mean something on the working-time clock.
UNITS_BY_CLOCK = {
    Clock.NATURAL: {TimeUnit.NATURAL_HOUR, TimeUnit.NATURAL_MINUTE},
    Clock.WORKING: {TimeUnit.WORKING_HOUR, TimeUnit.WORKING_DAY},
}
MAX_VALUE = Decimal("9999.99")  # TimeLimit.value: 6 digits, 2 decimals
MAX_PROBLEMS = 50

NAME_LENGTH = Category._meta.get_field("name").max_length
CODE_LENGTH = Category._meta.get_field("code").max_length
INITIALS_LENGTH = Category._meta.get_field("initials").max_length
CONDITION_NAME_LENGTH = FilingCondition._meta.get_field("name").max_length


@dataclass(frozen=True)
class ParsedLimit:
    urgency: str
    area_class: str
    value: Decimal
    unit: str


@dataclass
class ParsedCondition:
    name: str
    filing_text: str
    closing_text: str
    clock: str
    position: int
    active: bool
    limits: list[ParsedLimit] = field(default_factory=list)


@dataclass
class ParsedCategory:
    kind: str
    code: str
    name: str
    parent_code: str | None
    initials: str
    active: bool
    conditions: list[ParsedCondition] = field(default_factory=list)
    where: str = ""  # the row's location in the file, for messages


@dataclass(frozen=True)
class ParsedStepLimit:
    step: str
    value: Decimal
    unit: str


@dataclass
class ParsedCatalogue:
    categories: list[ParsedCategory]
    step_limits: list[ParsedStepLimit]


class _Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def parse_catalogue(data, *, existing_majors: set[tuple[str, str]], initials: Callable[..., str]) -> ParsedCatalogue:
    """Check a decoded catalogue file; raises CatalogueImportError listing every problem found."""
    problems = _Problems()
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise CatalogueImportError(_('A catalogue file is a JSON object with a "categories" list.'))
    if data.get("format", FORMAT) != FORMAT:
        problems.add(
            "format",
            _("unknown format %(format)r, expected %(expected)r")
            % {
                "format": data["format"],
                "expected": FORMAT,
            },
        )
    categories = _parse_categories(data["categories"], problems, initials=initials)
    _check_tree(categories, problems, existing_majors=existing_majors)
    step_limits = _parse_step_limits(data.get("step_limits", []), problems)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(_("… and %(count)d more problems") % {"count": len(problems) - MAX_PROBLEMS})
        raise CatalogueImportError(
            _("The catalogue was not imported: %(count)d problems.") % {"count": len(problems)}, problems=shown
        )
    return ParsedCatalogue(categories=categories, step_limits=step_limits)


def _parse_categories(rows, problems: _Problems, *, initials) -> list[ParsedCategory]:
    categories = []
    for index, row in enumerate(rows):
        where = f"categories[{index}]"
        if not isinstance(row, dict):
            problems.add(where, _("must be an object"))
            continue
        kind, code = str(row.get("kind", "")), str(row.get("code", "")).strip()
        where = f"{where} {kind}{code}"
        if kind not in CategoryKind.values:
            problems.add(where, _("kind must be one of %(choices)s") % {"choices": ", ".join(CategoryKind.values)})
        if not (code.isascii() and code.isdigit() and 2 <= len(code) <= CODE_LENGTH):
            problems.add(where, _("code must be 2 to %(max)d digits") % {"max": CODE_LENGTH})
        name = _text(row, "name", where, problems, max_length=NAME_LENGTH)
        parent = row.get("parent")
        category = ParsedCategory(
            kind=kind,
            code=code,
            name=name,
            parent_code=str(parent).strip() if parent not in (None, "") else None,
            initials=str(row.get("initials") or initials(name=name)).lower(),
            active=bool(row.get("active", True)),
            where=where,
        )
        if len(category.initials) > INITIALS_LENGTH:
            problems.add(where, _("initials are longer than %(max)d letters") % {"max": INITIALS_LENGTH})
        conditions = row.get("filing_conditions", [])
        if not isinstance(conditions, list):
            problems.add(where, _("filing_conditions must be a list"))
            conditions = []
        category.conditions = _parse_conditions(conditions, where, problems)
        categories.append(category)
    return categories


def _check_tree(categories: list[ParsedCategory], problems: _Problems, *, existing_majors) -> None:
    seen = set()
    majors = set(existing_majors) | {(c.kind, c.code) for c in categories if not c.parent_code}
    for c in categories:
        where = c.where
        if (c.kind, c.code) in seen:
            problems.add(where, _("duplicate code %(code)s of kind %(kind)s") % {"code": c.code, "kind": c.kind})
        seen.add((c.kind, c.code))
        if c.parent_code is None:
            if c.conditions:
                problems.add(where, _("a major class has no filing conditions; give it to a minor class"))
            continue
        if (c.kind, c.parent_code) not in majors:
            problems.add(
                where,
                _("unknown parent %(parent)s: no major class of kind %(kind)s has that code")
                % {
                    "parent": c.parent_code,
                    "kind": c.kind,
                },
            )
        elif not c.code.startswith(c.parent_code) or len(c.code) <= len(c.parent_code):
            problems.add(
                where,
                _("a minor class code must extend its major class code %(parent)s")
                % {
                    "parent": c.parent_code,
                },
            )
        if not c.conditions:
            problems.add(where, _("a minor class needs at least one filing condition"))


def _parse_conditions(rows, category_where: str, problems: _Problems) -> list[ParsedCondition]:
    conditions, names = [], set()
    for index, row in enumerate(rows):
        where = f"{category_where} filing_conditions[{index}]"
        if not isinstance(row, dict):
            problems.add(where, _("must be an object"))
            continue
        name = _text(row, "name", where, problems, max_length=CONDITION_NAME_LENGTH)
        where = f"{where} {name}"
        if name in names:
            problems.add(where, _("duplicate filing condition name in this category"))
        names.add(name)
        position = row.get("position", index)
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 32767:
            problems.add(where, _("position must be a whole number from 0 to 32767"))
            position = index
        clock = row.get("clock", Clock.WORKING)
        if clock not in Clock.values:
            problems.add(where, _("clock must be one of %(choices)s") % {"choices": ", ".join(Clock.values)})
        condition = ParsedCondition(
            name=name,
            filing_text=_text(row, "filing_text", where, problems),
            closing_text=_text(row, "closing_text", where, problems),
            clock=clock,
            position=position,
            active=bool(row.get("active", True)),
        )
        limits = row.get("time_limits", [])
        if not isinstance(limits, list):
            problems.add(where, _("time_limits must be a list"))
            limits = []
        condition.limits = _parse_limits(limits, where, problems, clock=clock)
        conditions.append(condition)
    return conditions


def _parse_limits(rows, condition_where: str, problems: _Problems, *, clock: str) -> list[ParsedLimit]:
    limits, seen = [], set()
    for index, row in enumerate(rows):
        where = f"{condition_where} time_limits[{index}]"
        if not isinstance(row, dict):
            problems.add(where, _("must be an object"))
            continue
        urgency, area_class = row.get("urgency"), str(row.get("area_class", ""))
        if urgency not in Urgency.values:
            problems.add(where, _("urgency must be one of %(choices)s") % {"choices": ", ".join(Urgency.values)})
        if area_class not in AREA_CLASSES:
            problems.add(where, _("area_class must be one of %(choices)s") % {"choices": ", ".join(AREA_CLASSES)})
        if (urgency, area_class) in seen:
            problems.add(
                where,
                _("duplicate time limit for %(urgency)s, area class %(area_class)s")
                % {
                    "urgency": urgency,
                    "area_class": area_class,
                },
            )
        seen.add((urgency, area_class))
        value, unit = _value_and_unit(row, where, problems)
        if clock in UNITS_BY_CLOCK and unit in TimeUnit.values and unit not in UNITS_BY_CLOCK[clock]:
            problems.add(
                where,
                _("bad unit %(unit)s for a %(clock)s clock; use %(units)s")
                % {
                    "unit": unit,
                    "clock": clock,
                    "units": ", ".join(sorted(UNITS_BY_CLOCK[clock])),
                },
            )
        limits.append(ParsedLimit(urgency=urgency, area_class=area_class, value=value, unit=unit))
    # A case can only be registered under a condition that has a limit for every urgency and area class (an
    # emergency without its own limit takes the urgent one, counted on the emergency's clock).
    missing = [f"{u}/{a}" for u, a in product(REQUIRED_URGENCIES, AREA_CLASSES) if (u, a) not in seen]
    if missing:
        problems.add(
            condition_where,
            _("missing time limits for %(missing)s (urgency/area class)")
            % {
                "missing": ", ".join(missing),
            },
        )
    return limits


def _parse_step_limits(rows, problems: _Problems) -> list[ParsedStepLimit]:
    if not isinstance(rows, list):
        problems.add("step_limits", _("must be a list"))
        return []
    limits, seen = [], set()
    for index, row in enumerate(rows):
        where = f"step_limits[{index}]"
        if not isinstance(row, dict):
            problems.add(where, _("must be an object"))
            continue
        step = row.get("step")
        if step not in Step.values:
            problems.add(where, _("step must be one of %(choices)s") % {"choices": ", ".join(Step.values)})
        elif step in seen:
            problems.add(where, _("duplicate step %(step)s") % {"step": step})
        seen.add(step)
        value, unit = _value_and_unit(row, where, problems)
        limits.append(ParsedStepLimit(step=step, value=value, unit=unit))
    return limits


def _value_and_unit(row: dict, where: str, problems: _Problems) -> tuple[Decimal | None, str]:
    unit = row.get("unit")
    if unit not in TimeUnit.values:
        problems.add(
            where,
            _("bad unit %(unit)r; use one of %(choices)s")
            % {
                "unit": unit,
                "choices": ", ".join(TimeUnit.values),
            },
        )
    try:
        value = Decimal(str(row.get("value")))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not (0 < value <= MAX_VALUE) or value != round(value, 2):
        problems.add(
            where,
            _("value must be a number above 0 and at most %(max)s, with at most 2 decimals")
            % {
                "max": MAX_VALUE,
            },
        )
        value = None
    return value, unit


def _text(row: dict, key: str, where: str, problems: _Problems, *, max_length: int | None = None) -> str:
    value = row.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        problems.add(where, _("%(field)s is required") % {"field": key})
    elif max_length and len(text) > max_length:
        problems.add(where, _("%(field)s is longer than %(max)d characters") % {"field": key, "max": max_length})
    return text
