"""Handling units (处置单位): the Huizhou seed of bureaus, district branches, street offices and utilities."""

import csv
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Department, DepartmentKind, DepartmentLevel, Level, Region

DEPARTMENTS_CSV = Path(settings.BASE_DIR) / "fixtures" / "huizhou" / "departments.csv"
UPDATED_FIELDS = ["name", "level", "kind", "home_region", "contact_name", "contact_phone", "email", "active"]


def street_office_name(*, street: Region, district: Region) -> str:
    """The official-style name of the office that governs a street-level unit (街道办事处, 镇/乡人民政府…)."""
    name = street.name
    # Cities' districts are written with the city in front ("惠州市惠城区"); counties stand alone ("博罗县").
    prefix = f"惠州市{district.name}" if district.name.endswith("区") else district.name
    if not name.startswith(("广东", "惠州", district.name)):
        name = prefix + name
    if name.endswith("街道"):
        return f"{name}办事处"
    if name.endswith(("镇", "乡")):
        return f"{name}人民政府"
    # Code 400+ special zones: forest farms are units themselves; reserves have a bureau; zones a committee.
    if name.endswith("林场"):
        return name
    if name.endswith("保护区"):
        return f"{name}管理局"
    return f"{name}管理委员会"


def _listed_departments(*, regions: dict[str, Region]) -> list[Department]:
    with DEPARTMENTS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    missing = sorted({row["home_region_code"] for row in rows} - regions.keys())
    if missing:
        raise ImproperlyConfigured(_("Load the grid first: regions %(codes)s are missing.") % {"codes": missing})
    return [
        Department(
            code=row["code"],
            name=row["name"],
            level=DepartmentLevel(row["level"]),
            kind=DepartmentKind(row["kind"]),
            home_region=regions[row["home_region_code"]],
            contact_name=row["contact_name"],
            contact_phone=row["contact_phone"],
            email=row["email"],
            active=True,
        )
        for row in rows
    ]


def _street_offices(*, streets: list[Region]) -> list[Department]:
    return [
        Department(
            code=f"street-{street.code}",
            name=street_office_name(street=street, district=street.parent),
            level=DepartmentLevel.STREET,
            kind=DepartmentKind.STREET_OFFICE,
            home_region=street,
            contact_name="值班室",
            active=True,
        )
        for street in streets
    ]


@transaction.atomic
def departments_seed_huizhou() -> int:
    """Upsert (by code) the Huizhou departments: the listed ones plus one office per street-level region.

    Needs the grid loaded; returns the number of seeded departments. Idempotent.
    """
    regions = {r.code: r for r in Region.objects.filter(level__in=[Level.CITY, Level.DISTRICT]).defer("geom")}
    streets = list(Region.objects.filter(level=Level.STREET).select_related("parent").defer("geom", "parent__geom"))
    departments = _listed_departments(regions=regions) + _street_offices(streets=streets)
    Department.objects.bulk_create(
        departments, update_conflicts=True, unique_fields=["code"], update_fields=UPDATED_FIELDS
    )
    return len(departments)


DEPARTMENT_WRITABLE_FIELDS = (
    "code",
    "name",
    "level",
    "kind",
    "home_region",
    "contact_name",
    "contact_phone",
    "email",
    "duty_phone",
    "active",
)


@transaction.atomic
def department_save(*, department: Department | None = None, fields: dict) -> Department:
    """Create a department (`department` None) or change the given fields of one; model validation first, so a
    clash with the unique name per region or code is a field error (ValidationError), never a half-written row."""
    department = department or Department()
    for name, value in fields.items():
        if name not in DEPARTMENT_WRITABLE_FIELDS:
            raise ValueError(f"not a writable department field: {name}")
        setattr(department, name, value)
    department.full_clean()
    department.save()
    return department
