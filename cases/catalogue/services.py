"""Write use-cases of the catalogue: load a catalogue file (the Huizhou default or a city's own)."""

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Category, FilingCondition, StepLimit, TimeLimit

from .errors import CatalogueImportError
from .parsing import UNITS_BY_CLOCK, ParsedCatalogue, parse_catalogue

DEFAULT_CATALOGUE = Path(settings.BASE_DIR) / "fixtures" / "huizhou" / "catalogue.json"

INITIALS_LENGTH = Category._meta.get_field("initials").max_length


def category_initials(*, name: str) -> str:
    """Lower-case pinyin initials of a category name ("暴露垃圾" → "bllj"); Latin letters and digits are kept."""
    # Imported here: its dictionaries take about 50 MB, which a web worker (that never writes categories) is spared.
    from pypinyin import Style, lazy_pinyin

    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    return "".join(c for c in letters if c.isascii() and c.isalnum())[:INITIALS_LENGTH]


def time_limit_check(*, clock: str, unit: str) -> None:
    """Raise ValidationError on `unit` unless it can be counted on `clock` (natural clocks count natural hours)."""
    allowed = UNITS_BY_CLOCK.get(clock, set())
    if unit not in allowed:
        raise ValidationError(
            {
                "unit": _("A %(clock)s clock counts in %(units)s, not %(unit)s.")
                % {"clock": clock, "units": ", ".join(sorted(allowed)), "unit": unit}
            },
            code="bad_unit",
        )


def catalogue_seed() -> str:
    """Load (or refresh) the Huizhou default catalogue; idempotent; returns a one-line summary."""
    return catalogue_import(path=DEFAULT_CATALOGUE)


def catalogue_import(*, path: str | os.PathLike) -> str:
    """Load a catalogue file in the cityops-catalogue/1 JSON format, all or nothing; idempotent.

    Rows are matched by (kind, code), (category, name) and (filing condition, urgency, area class) and
    overwritten with the file's values; rows the file does not mention are left alone.
    Raises CatalogueImportError listing every bad row; nothing is written then.
    """
    try:
        with open(path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise CatalogueImportError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from exc
    except json.JSONDecodeError as exc:
        raise CatalogueImportError(
            _("%(path)s is not valid JSON (line %(line)d, column %(column)d: %(error)s).")
            % {"path": path, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from exc
    existing_majors = set(Category.objects.filter(parent__isnull=True).values_list("kind", "code"))
    parsed = parse_catalogue(data, existing_majors=existing_majors, initials=category_initials)
    _write(parsed)
    return _(
        "%(minors)d minor classes, %(conditions)d filing conditions, %(limits)d time limits, %(steps)d step limits"
    ) % {
        "minors": sum(1 for c in parsed.categories if c.parent_code),
        "conditions": sum(len(c.conditions) for c in parsed.categories),
        "limits": sum(len(fc.limits) for c in parsed.categories for fc in c.conditions),
        "steps": len(parsed.step_limits),
    }


@transaction.atomic
def _write(parsed: ParsedCatalogue) -> None:
    # Set-based upserts (INSERT … ON CONFLICT on the unique constraints): a handful of queries for the
    # whole catalogue instead of one round trip per row, and safe to run again or concurrently.
    majors = [c for c in parsed.categories if not c.parent_code]
    minors = [c for c in parsed.categories if c.parent_code]
    _upsert_categories(majors, parent_ids={})
    _upsert_categories(minors, parent_ids=_category_ids())
    condition_ids = _upsert_conditions(minors, category_ids=_category_ids())
    TimeLimit.objects.bulk_create(
        [
            TimeLimit(
                filing_condition_id=condition_ids[(c.kind, c.code, fc.name)],
                urgency=limit.urgency,
                area_class=limit.area_class,
                value=limit.value,
                unit=limit.unit,
            )
            for c in minors
            for fc in c.conditions
            for limit in fc.limits
        ],
        update_conflicts=True,
        unique_fields=["filing_condition", "urgency", "area_class"],
        update_fields=["value", "unit"],
    )
    StepLimit.objects.bulk_create(
        [StepLimit(step=s.step, value=s.value, unit=s.unit) for s in parsed.step_limits],
        update_conflicts=True,
        unique_fields=["step"],
        update_fields=["value", "unit"],
    )


def _upsert_conditions(minors, *, category_ids) -> dict[tuple[str, str, str], int]:
    """Upsert the minors' filing conditions; returns their ids by (kind, code, condition name)."""
    FilingCondition.objects.bulk_create(
        [
            FilingCondition(
                category_id=category_ids[(c.kind, c.code)],
                name=fc.name,
                filing_text=fc.filing_text,
                closing_text=fc.closing_text,
                clock=fc.clock,
                position=fc.position,
                active=fc.active,
            )
            for c in minors
            for fc in c.conditions
        ],
        update_conflicts=True,
        unique_fields=["category", "name"],
        update_fields=["filing_text", "closing_text", "clock", "position", "active"],
    )
    rows = FilingCondition.objects.filter(category_id__in=[category_ids[(c.kind, c.code)] for c in minors])
    return {
        (kind, code, name): pk
        for kind, code, name, pk in rows.values_list("category__kind", "category__code", "name", "id")
    }


def _upsert_categories(rows, *, parent_ids) -> None:
    Category.objects.bulk_create(
        [
            Category(
                kind=c.kind,
                code=c.code,
                name=c.name,
                parent_id=parent_ids.get((c.kind, c.parent_code)),
                initials=c.initials,
                active=c.active,
            )
            for c in rows
        ],
        update_conflicts=True,
        unique_fields=["kind", "code"],
        update_fields=["name", "parent", "initials", "active"],
    )


def _category_ids() -> dict[tuple[str, str], int]:
    return {(kind, code): pk for kind, code, pk in Category.objects.values_list("kind", "code", "id")}
