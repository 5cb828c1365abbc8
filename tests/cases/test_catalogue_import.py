"""A city loads its own catalogue file: all or nothing, with every bad row named."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from cases.catalogue import DEFAULT_CATALOGUE, CatalogueImportError, catalogue_import, catalogue_seed
from cases.models import Category, FilingCondition, StepLimit, TimeLimit

pytestmark = pytest.mark.django_db


def small_catalogue():
    """A one-minor-class catalogue in the file format."""
    limits = [
        {"urgency": u, "area_class": a, "value": "2", "unit": "working_hour"}
        for u in ("urgent", "normal")
        for a in "12"
    ]
    return {
        "format": "cityops-catalogue/1",
        "step_limits": [{"step": "accept", "value": "0.25", "unit": "working_hour"}],
        "categories": [
            {"kind": "E", "code": "07", "name": "城市家具"},
            {
                "kind": "E",
                "code": "0701",
                "parent": "07",
                "name": "共享单车堆积",
                "filing_conditions": [
                    {
                        "name": "堆积占道",
                        "filing_text": "共享单车堆积超过 10 辆，占用人行道。",
                        "closing_text": "车辆已清理，人行道通行无碍。",
                        "time_limits": limits,
                    }
                ],
            },
        ],
    }


def write(tmp_path, data, name="city.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def import_problems(tmp_path, data):
    with pytest.raises(CatalogueImportError) as caught:
        catalogue_import(path=write(tmp_path, data))
    return caught.value.problems


def test_a_city_file_is_imported_with_initials_computed(tmp_path):
    summary = catalogue_import(path=write(tmp_path, small_catalogue()))
    assert summary == "1 minor classes, 1 filing conditions, 4 time limits, 1 step limits"
    category = Category.objects.get(kind="E", code="0701")
    assert (category.parent.code, category.initials) == ("07", "gxdcdj")
    assert StepLimit.objects.get(step="accept").value == 0.25


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write(tmp_path, small_catalogue())
    catalogue_import(path=path)
    before = [list(m.objects.order_by("pk").values()) for m in (Category, FilingCondition, TimeLimit, StepLimit)]
    catalogue_import(path=path)
    after = [list(m.objects.order_by("pk").values()) for m in (Category, FilingCondition, TimeLimit, StepLimit)]
    assert after == before


def test_a_minor_class_may_hang_under_a_major_class_already_in_the_database(tmp_path):
    catalogue_seed()
    data = small_catalogue()
    data["categories"] = [dict(data["categories"][1], code="0120", parent="01", name="其他市容问题")]
    catalogue_import(path=write(tmp_path, data))
    assert Category.objects.get(kind="E", code="0120").parent.name == "市容环境"


def test_an_unknown_parent_is_named_with_its_row(tmp_path):
    data = small_catalogue()
    data["categories"][1]["parent"] = "09"
    data["categories"][1]["code"] = "0901"
    assert import_problems(tmp_path, data) == [
        "categories[1] E0901: unknown parent 09: no major class of kind E has that code"
    ]


def test_a_bad_unit_is_named_with_its_row(tmp_path):
    data = small_catalogue()
    data["categories"][1]["filing_conditions"][0]["time_limits"][2]["unit"] = "minutes"
    (problem,) = import_problems(tmp_path, data)
    assert problem.startswith("categories[1] E0701 filing_conditions[0] 堆积占道 time_limits[2]: bad unit 'minutes'")


def test_working_units_on_a_natural_clock_are_refused(tmp_path):
    data = small_catalogue()
    data["categories"][1]["filing_conditions"][0]["clock"] = "natural"
    problems = import_problems(tmp_path, data)
    assert len(problems) == 4
    assert "bad unit working_hour for a natural clock; use natural_hour" in problems[0]


def test_a_duplicate_code_is_refused(tmp_path):
    data = small_catalogue()
    data["categories"].append(copy.deepcopy(data["categories"][1]))
    assert import_problems(tmp_path, data) == ["categories[2] E0701: duplicate code 0701 of kind E"]


def test_missing_urgency_and_area_class_combinations_are_listed(tmp_path):
    data = small_catalogue()
    del data["categories"][1]["filing_conditions"][0]["time_limits"][1:]
    (problem,) = import_problems(tmp_path, data)
    assert problem.endswith("missing time limits for urgent/2, normal/1, normal/2 (urgency/area class)")


def test_every_problem_is_reported_at_once_and_nothing_is_written(tmp_path):
    data = small_catalogue()
    row = data["categories"][1]
    row["name"] = ""
    row["filing_conditions"][0]["time_limits"][0]["value"] = "0"
    row["filing_conditions"][0]["time_limits"][1]["urgency"] = "whenever"
    data["step_limits"][0]["step"] = "lunch"
    before = [m.objects.count() for m in (Category, FilingCondition, TimeLimit, StepLimit)]
    problems = import_problems(tmp_path, data)
    assert len(problems) == 5  # name, value, urgency, the combination it leaves missing, step
    assert [m.objects.count() for m in (Category, FilingCondition, TimeLimit, StepLimit)] == before
    assert not Category.objects.filter(code="07").exists()


def test_a_file_that_is_not_json_says_where_it_breaks(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"categories": [', encoding="utf-8")
    with pytest.raises(CatalogueImportError, match=r"is not valid JSON \(line 1, column 17"):
        catalogue_import(path=path)


def test_the_command_imports_a_file(tmp_path, capsys):
    call_command("import_catalogue", str(DEFAULT_CATALOGUE))
    assert "71 minor classes" in capsys.readouterr().out
    assert Category.objects.filter(parent__isnull=False).count() == 71


def test_the_command_lists_the_problems_of_a_bad_file(tmp_path):
    data = small_catalogue()
    data["categories"][1]["parent"] = "09"
    with pytest.raises(CommandError, match="unknown parent 09"):
        call_command("import_catalogue", str(write(tmp_path, data)))
