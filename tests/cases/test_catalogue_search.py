"""The mobile picker finds a category by Chinese name, code or pinyin initials; cases read limits from here."""

from decimal import Decimal

import pytest

from cases.catalogue import (
    StepLimitNotConfigured,
    TimeLimitNotConfigured,
    active_minor_category,
    category_search,
    step_limit_for,
    time_limit_for,
)
from cases.models import Category, StepLimit, TimeUnit
from tests.factories.cases_catalogue import CategoryFactory, filing_condition_with_limits


def found(query, kind=None):
    return [f"{c.kind}{c.code}" for c in category_search(query=query, kind=kind)]


def test_search_by_a_chinese_name_substring(catalogue):
    assert found("暴露") == ["E0102"]
    assert found("垃圾", kind="C") == ["C0304", "C0305"]


def test_search_by_the_name_of_the_major_class_lists_its_minor_classes(catalogue):
    assert found("突发事件") == ["E0401", "E0402", "E0403", "E0404", "E0406", "E0408"]


def test_search_by_code_prefix_and_by_display_code(catalogue):
    assert found("0102") == ["C0102", "E0102"]
    assert found("E0102") == ["E0102"]
    assert found("c01")[:3] == ["C0101", "C0102", "C0103"]
    assert set(found("04", kind="E")) == {"E0401", "E0402", "E0403", "E0404", "E0406", "E0408"}


def test_search_by_pinyin_initials(catalogue):
    assert found("blj") == ["E0102"]
    assert found("BLLJ") == ["E0102"]
    assert found("sdlj") == ["E0101"]


def test_initials_prefixes_rank_before_looser_matches(catalogue):
    results = found("lj")
    assert results[:2] == ["C0304", "C0305"]  # 垃圾间, 垃圾箱 start with lj
    assert "E0102" in results  # 暴露垃圾: bllj contains it


def test_search_lists_only_active_minor_classes(catalogue):
    Category.objects.filter(kind="E", code="0102").update(active=False)
    assert found("暴露垃圾") == []
    assert all(len(code) == 5 for code in found("市容环境"))  # never the major class E01 itself


def test_an_empty_query_lists_every_minor_class_of_a_kind(catalogue):
    assert len(found("")) == 71
    assert len(found("", kind="C")) == 34
    assert len(found("", kind="E")) == 37


def test_time_limit_for_reads_the_configured_limit(catalogue):
    condition = catalogue.condition("E0101", "拆除")
    limit = time_limit_for(filing_condition=condition, urgency="urgent", area_class="2")
    assert (limit.value, limit.unit) == (Decimal("15"), TimeUnit.WORKING_DAY)
    assert time_limit_for(filing_condition=condition, urgency="normal", area_class=1).value == 20


def test_time_limit_for_names_the_condition_when_no_limit_is_configured(catalogue):
    condition = catalogue.condition("E0102")
    condition.time_limits.filter(urgency="urgent", area_class="1").delete()
    with pytest.raises(TimeLimitNotConfigured) as caught:
        time_limit_for(filing_condition=condition, urgency="urgent", area_class="1")
    assert caught.value.code == "time_limit_missing"
    assert "暴露垃圾 · 暴露垃圾" in caught.value.messages[0]
    assert "urgency urgent, area class 1" in caught.value.messages[0]


def test_step_limit_for_reads_the_step_and_says_when_it_is_missing(catalogue):
    assert step_limit_for(step="verify").value == 1
    StepLimit.objects.filter(step="close").delete()
    with pytest.raises(StepLimitNotConfigured, match="close"):
        step_limit_for(step="close")


@pytest.mark.django_db
def test_a_factory_made_category_is_found_and_its_limits_are_read():
    condition = filing_condition_with_limits(
        category=CategoryFactory(kind="C", name="智慧灯杆"), clock="natural", value=Decimal("3")
    )
    assert found("zhdg") == [f"C{condition.category.code}"]
    limit = time_limit_for(filing_condition=condition, urgency="urgent", area_class="2")
    assert (limit.value, limit.unit) == (3, TimeUnit.NATURAL_HOUR)


def test_intake_finds_an_active_minor_class_by_code_or_id_and_nothing_else(catalogue):
    garbage = Category.objects.get(kind="E", code="0102")
    for found_one in (active_minor_category(kind="E", code="0102"), active_minor_category(pk=garbage.pk)):
        assert found_one == garbage
        assert [getattr(found_one, f.attname) for f in Category._meta.concrete_fields] == [
            getattr(garbage, f.attname) for f in Category._meta.concrete_fields
        ]
    assert active_minor_category(kind="C", code="9999") is None
    assert active_minor_category(pk=garbage.parent_id) is None  # a major class
    assert active_minor_category(kind="E", code="01") is None
    Category.objects.filter(pk=garbage.pk).update(active=False)
    assert active_minor_category(kind="E", code="0102") is None
    assert active_minor_category(pk=garbage.pk) is None
