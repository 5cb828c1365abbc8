"""The responsibility list as CSV: atomic, re-runnable import with clear errors, and an export that reads back."""

import io

import pytest
from django.core.management import CommandError, call_command

from dispatch.models import ResponsibilityRule
from dispatch.services.routing_csv import (
    RESPONSIBILITIES_CSV,
    ResponsibilityImportError,
    responsibilities_export,
    responsibilities_import,
)

HEADER = (
    "kind,category_code,region_code,lead_department_code,assisting_department_codes,dispatch_level,auto_dispatch,note\n"
)


@pytest.fixture
def departments(huizhou_departments):
    return huizhou_departments


def export_text():
    stream = io.StringIO()
    responsibilities_export(stream=stream)
    return stream.getvalue()


def test_the_demo_list_imports_and_a_second_run_only_updates(departments):
    rows = RESPONSIBILITIES_CSV.read_text(encoding="utf-8").count("\n") - 1
    assert responsibilities_import() == {"created": rows, "updated": 0}
    assert responsibilities_import() == {"created": 0, "updated": rows}
    assert ResponsibilityRule.objects.count() == rows


def test_export_reads_back_to_the_same_list(departments):
    responsibilities_import()
    first = export_text()
    ResponsibilityRule.objects.all().delete()
    responsibilities_import(text=first)
    assert export_text() == first
    assert first.splitlines()[0] + "\n" == HEADER
    assert sorted(first.splitlines()) == sorted(RESPONSIBILITIES_CSV.read_text(encoding="utf-8").splitlines())


def test_a_row_updates_the_rule_with_the_same_kind_category_and_region(departments):
    responsibilities_import(text=HEADER + "E,0403,4413,utility-gas,city-emergency-management|city-housing,city,no,\n")
    responsibilities_import(text=HEADER + "E,E0403,4413,city-emergency-management,utility-gas,city,yes,燃气抢险\n")
    rule = ResponsibilityRule.objects.get()
    assert rule.lead_department.code == "city-emergency-management" and rule.auto_dispatch
    assert [d.code for d in rule.assisting_departments.all()] == ["utility-gas"]
    assert rule.note == "燃气抢险" and rule.kind == "E" and not rule.lead_street_office


def test_rules_for_any_category_and_the_street_office_placeholder(departments):
    responsibilities_import(text=HEADER + ",,4413,@street_office,,district,no,兜底\nC,,441302,city-housing,,city,no,\n")
    anything, components = ResponsibilityRule.objects.order_by("kind")
    assert anything.kind == "" and anything.category is None and anything.lead_street_office
    assert components.kind == "C" and components.lead_department.code == "city-housing"


def test_bad_rows_are_all_listed_and_nothing_is_imported(departments):
    text = HEADER + (
        "E,0102,4413,@street_office,,district,yes,good\n"
        "E,9999,4413,city-housing,,city,no,\n"
        "E,0102,999999,city-housing,,city,no,\n"
        "E,0101,4413,no-such-department,,city,no,\n"
        "E,0101,441302,city-housing,city-housing,city,no,\n"
        "E,0104,4413,city-housing,,province,no,\n"
        "E,0105,4413,city-housing,,city,maybe,\n"
        ",0106,4413,city-housing,,city,no,\n"
        "C,E0107,4413,city-housing,,city,no,\n"
        "E,E0102,4413,city-housing,,city,no,\n"
    )
    with pytest.raises(ResponsibilityImportError) as caught:
        responsibilities_import(text=text)
    errors = caught.value.errors
    assert [e.split(":")[0] for e in errors] == [f"line {n}" for n in range(3, 12)]
    assert "unknown category E9999" in errors[0]
    assert "unknown region" in errors[1] and "unknown department" in errors[2]
    assert "cannot also assist" in errors[3] and "city or district" in errors[4] and "yes or no" in errors[5]
    assert "give the kind" in errors[6] and "is not of kind C" in errors[7]
    assert "same kind, category and region as line 2" in errors[8]
    assert ResponsibilityRule.objects.count() == 0


def test_a_file_without_the_columns_is_refused(departments):
    with pytest.raises(ResponsibilityImportError, match="missing columns: .*auto_dispatch"):
        responsibilities_import(text="kind,category_code,region_code\nE,0102,4413\n")


def test_the_commands_import_and_export(departments, tmp_path):
    source = tmp_path / "list.csv"
    source.write_text(HEADER + "E,0102,4413,@street_office,,district,yes,暴露垃圾\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_responsibilities", str(source), stdout=out)
    assert "1 rules created, 0 updated" in out.getvalue()
    target = tmp_path / "out.csv"
    call_command("export_responsibilities", "--output", str(target), stderr=io.StringIO())
    assert target.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    printed = io.StringIO()
    call_command("export_responsibilities", stdout=printed)
    assert printed.getvalue() == source.read_text(encoding="utf-8")


def test_the_import_command_names_the_bad_lines(departments, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(HEADER + "E,0102,4413,@street_office,,district,yes,\nE,0102,4413,x,,city,no,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 3: .*unknown department"):
        call_command("import_responsibilities", str(source))
    assert ResponsibilityRule.objects.count() == 0
