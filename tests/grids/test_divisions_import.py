"""Importing the statistical division table: bulk, idempotent, atomic, with clear errors."""

import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from grids.models import AreaClass, Level, Region
from grids.services import GridImportError, area_class_for, divisions_import
from grids.services.huizhou import DIVISIONS_FILE

HEADER = "code,name,level,parent_code\n"


def write_csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "divisions.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_paths_and_depths_follow_the_tree(huizhou_grid):
    community = huizhou_grid.qiaodong_community
    assert community.path == "/4413/441302/441302001/441302001001/"
    assert community.depth == 3
    assert community.parent.code == "441302001"
    assert huizhou_grid.city.parent is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("4413", AreaClass.CLASS_1),
        ("441302", AreaClass.CLASS_1),  # 惠城区: a city district
        ("441322", AreaClass.CLASS_2),  # 博罗县: a county
        ("441302001", AreaClass.CLASS_1),  # 桥东街道
        ("441302100", AreaClass.CLASS_2),  # 汝湖镇
        ("441302001001", AreaClass.CLASS_1),  # 东湖社区居委会 of 桥东街道
    ],
)
def test_area_class_follows_the_code_rules(huizhou_grid, code, expected):
    assert huizhou_grid[code].area_class == expected


def test_villages_and_town_committees_are_class_2(huizhou_grid):
    villages = Region.objects.filter(level=Level.COMMUNITY, code__regex=r"^\d{9}[23]\d\d$")
    assert villages.exists()
    assert not villages.filter(area_class=AreaClass.CLASS_1).exists()
    town_committee = Region.objects.filter(parent__code="441302100", code__regex=r"^\d{9}[01]\d\d$").first()
    assert town_committee.area_class == AreaClass.CLASS_2


def test_area_class_for_a_committee_under_a_subdistrict():
    assert area_class_for(code="441302001001", level=Level.COMMUNITY) == AreaClass.CLASS_1
    assert area_class_for(code="441302001201", level=Level.COMMUNITY) == AreaClass.CLASS_2
    assert area_class_for(code="441302100001", level=Level.COMMUNITY) == AreaClass.CLASS_2


def test_reimporting_the_same_file_changes_nothing(huizhou_grid, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        counts = divisions_import(path=DIVISIONS_FILE)
    assert counts == {"created": 0, "updated": 0, "unchanged": 1454, "total": 1454}
    assert Region.objects.count() == 1454


def test_reimport_updates_names_and_parents_without_duplicates(huizhou_grid, tmp_path):
    community = huizhou_grid.qiaodong_community
    path = write_csv(
        tmp_path,
        "441302001,桥东街道（新）,street,441302\n441302001001,东湖社区居委会,community,441302002\n",
    )
    counts = divisions_import(path=path)
    assert counts == {"created": 0, "updated": 2, "unchanged": 0, "total": 2}
    assert Region.objects.get(code="441302001").name == "桥东街道（新）"
    community.refresh_from_db()
    assert community.parent.code == "441302002"
    assert community.path == "/4413/441302/441302002/441302001001/"
    assert Region.objects.count() == 1454


def test_moving_a_street_moves_the_paths_of_its_communities(huizhou_grid, tmp_path):
    divisions_import(path=write_csv(tmp_path, "441302001,桥东街道,street,441303\n"))
    paths = set(Region.objects.filter(parent__code="441302001").values_list("path", flat=True))
    assert paths
    assert all(p.startswith("/4413/441303/441302001/") for p in paths)


def test_a_whole_city_is_imported_in_bulk(huizhou_grid, tmp_path, django_assert_max_num_queries):
    # The real table under a fictional city code: 1,454 new regions.
    text = DIVISIONS_FILE.read_text(encoding="utf-8").replace("4413", "9913")
    path = tmp_path / "copy.csv"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with django_assert_max_num_queries(20):
        counts = divisions_import(path=path)
    assert time.monotonic() - started < 5
    assert counts["created"] == 1454
    assert Region.objects.get(code="991302001001").path == "/9913/991302/991302001/991302001001/"


def test_bad_rows_are_all_listed_and_nothing_is_written(huizhou_grid, tmp_path):
    path = write_csv(
        tmp_path,
        "441302999,新街道,street,441302\n"
        "441302998,坏级别,town,441302\n"
        "441302997001,孤儿社区,community,441302997\n"
        "441302996,错父级,street,4413\n",
    )
    with pytest.raises(GridImportError) as caught:
        divisions_import(path=path)
    problems = caught.value.problems
    assert len(problems) == 3
    assert "line 3" in problems[0] and "town" in problems[0]
    assert "line 4" in problems[1] and "441302997" in problems[1]
    assert "line 5" in problems[2] and "city" in problems[2]
    assert not Region.objects.filter(code="441302999").exists()


def test_a_file_without_the_columns_is_refused(huizhou_grid, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("id,title\n1,x\n", encoding="utf-8")
    with pytest.raises(GridImportError, match="parent_code"):
        divisions_import(path=path)


def test_the_command_reports_bad_input_without_a_traceback(huizhou_grid, tmp_path):
    with pytest.raises(CommandError, match="neither in the file nor in the database"):
        call_command("import_divisions", str(write_csv(tmp_path, "441302997001,孤儿,community,441302997\n")))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_divisions", str(tmp_path / "missing.csv"))


def test_the_command_prints_a_summary(huizhou_grid, capsys):
    call_command("import_divisions", str(DIVISIONS_FILE))
    assert "1454 unchanged" in capsys.readouterr().out
