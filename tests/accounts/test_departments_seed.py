"""The Huizhou department seed: listed bureaus, branches and utilities plus one office per street-level unit."""

import csv

import pytest

from grids.models import Department, DepartmentKind, DepartmentLevel, Level, Region
from grids.services.departments import DEPARTMENTS_CSV, departments_seed_huizhou

pytestmark = pytest.mark.django_db


def listed_codes():
    with DEPARTMENTS_CSV.open(encoding="utf-8") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def test_seed_counts_the_listed_departments_and_every_street_office(huizhou_grid):
    streets = Region.objects.filter(level=Level.STREET).count()
    assert streets == 84
    assert departments_seed_huizhou() == len(listed_codes()) + streets
    assert Department.objects.count() == len(listed_codes()) + streets


def test_seed_is_idempotent_and_puts_edited_rows_back(huizhou_grid):
    departments_seed_huizhou()
    Department.objects.filter(code="city-housing").update(name="改过的名字", active=False)
    assert departments_seed_huizhou() == Department.objects.count()
    bureau = Department.objects.get(code="city-housing")
    assert (bureau.name, bureau.active) == ("惠州市住房和城乡建设局", True)


def test_every_street_level_unit_has_its_office(huizhou_departments):
    offices = Department.objects.filter(kind=DepartmentKind.STREET_OFFICE, level=DepartmentLevel.STREET)
    assert set(offices.values_list("home_region__code", flat=True)) == set(
        Region.objects.filter(level=Level.STREET).values_list("code", flat=True)
    )


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("street-441302001", "惠州市惠城区桥东街道办事处"),
        ("street-441322117", "博罗县龙华镇人民政府"),
        ("street-441324118", "龙门县龙华镇人民政府"),
        ("street-441324200", "龙门县蓝田瑶族乡人民政府"),
        ("street-441322570", "博罗县罗浮山管理区管理委员会"),
    ],
)
def test_street_offices_carry_official_style_names(huizhou_departments, code, name):
    assert huizhou_departments[code].name == name


def test_each_county_level_division_has_its_urban_management_branch(huizhou_departments):
    branches = Department.objects.filter(level=DepartmentLevel.DISTRICT, name__endswith="城市管理和综合执法局")
    assert sorted(branches.values_list("home_region__code", flat=True)) == [
        "441302",
        "441303",
        "441322",
        "441323",
        "441324",
    ]


def test_city_bureaus_and_utilities_are_based_in_the_city(huizhou_departments):
    city = Department.objects.filter(level=DepartmentLevel.CITY)
    assert set(city.values_list("home_region__code", flat=True)) == {"4413"}
    names = " ".join(city.filter(kind=DepartmentKind.UTILITY).values_list("name", flat=True))
    for service in ["供电", "供水", "燃气", "电信", "移动通信", "联合网络通信"]:
        assert service in names
    assert city.filter(name="惠州市城市管理和综合执法局", kind=DepartmentKind.GOVERNMENT).exists()
