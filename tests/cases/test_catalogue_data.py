"""The Huizhou default catalogue holds DOMAIN.md §5–6: every code and name, complete limits, the real examples."""

import re
from decimal import Decimal

import pytest

from cases.catalogue import catalogue_seed
from cases.models import Category, Clock, FilingCondition, Step, StepLimit, TimeLimit, TimeUnit, Urgency

# DOMAIN.md §6, copied verbatim: the names must match character for character.
COMPONENTS = """
01 公用设施 (0101 上水井盖, 0102 污水井盖, 0103 雨水井盖, 0104 雨水箅子, 0105 电力井盖, 0106 路灯井盖,
0107 通讯井盖, 0111 燃气井盖, 0113 消防设施, 0114 无主井盖, 0116 电力设施, 0117 电杆, 0118 路灯, 0121 报刊亭,
0126 健身设施); 02 道路交通 (0201 停车场, 0203 公交站亭, 0205 过街天桥, 0206 地下通道, 0209 交通标志牌,
0211 交通护栏, 0213 路名牌, 0214 交通信号灯); 03 市容环境 (0301 公共厕所, 0304 垃圾间, 0305 垃圾箱, 0307 广告牌匾);
04 园林绿化 (0401 古树名木, 0402 行道树, 0403 树池箅子, 0405 绿地, 0406 雕塑, 0407 街头座椅); 05 房屋土地
(0501 宣传栏); 06 其他设施.
"""
EVENTS = """
01 市容环境 (0101 私搭乱建, 0102 暴露垃圾, 0103 积存垃圾渣土, 0104 道路不洁, 0105 水域不洁, 0106 绿地脏乱,
0107 废弃车辆, 0110 道路破损, 0112 道路遗撒, 0115 焚烧垃圾树叶, 0116 油烟污染, 0199 其他); 02 宣传广告 (0201 非法小广告,
0202 违章张贴悬挂广告牌匾, 0203 占道广告牌, 0205 广告招牌破损); 03 施工管理 (0301 施工扰民, 0302 工地扬尘,
0303 施工废弃料, 0304 施工占道, 0305 无证掘路); 04 突发事件 (0401 路面塌陷, 0402 自来水管破裂, 0403 燃气管道破裂,
0404 下水道堵塞或破损, 0406 道路积水, 0408 架空线缆损坏); 05 街面秩序 (0501 无照经营游商, 0502 流浪乞讨,
0504 店外经营, 0505 机动车乱停放, 0506 非机动车乱停放, 0507 乱堆物堆料, 0508 商业噪音, 0510 露天烧烤, 0511 沿街晾挂,
0513 空调室外机低挂).
"""


def domain_codes():
    """(kind, code, name, parent code) for every 大类 and 小类 of DOMAIN.md §6."""
    rows = []
    for kind, text in (("C", COMPONENTS), ("E", EVENTS)):
        for code, name in re.findall(r"(\d{2,4}) ([^\s,();.]+)", text):
            rows.append((kind, code, name, code[:2] if len(code) == 4 else None))
    return rows


def minor_classes():
    return Category.objects.filter(parent__isnull=False)


def limit(display_code, condition, urgency=Urgency.NORMAL, area_class="1"):
    return TimeLimit.objects.get(
        filing_condition__category__kind=display_code[0],
        filing_condition__category__code=display_code[1:],
        filing_condition__name=condition,
        urgency=urgency,
        area_class=area_class,
    )


def test_the_domain_list_is_transcribed_completely():
    rows = domain_codes()
    assert len(rows) == 82
    assert len([r for r in rows if r[3]]) == 71


@pytest.mark.parametrize(("kind", "code", "name", "parent"), domain_codes(), ids=lambda v: str(v))
def test_every_domain_code_is_in_the_catalogue_with_its_exact_name(catalogue, kind, code, name, parent):
    category = Category.objects.select_related("parent").get(kind=kind, code=code)
    assert category.name == name
    assert (category.parent.code if category.parent else None) == parent
    assert category.active


def test_the_catalogue_has_no_codes_beyond_the_domain_list(catalogue):
    expected = {(kind, code) for kind, code, _name, _parent in domain_codes()}
    assert set(Category.objects.values_list("kind", "code")) == expected


def test_every_minor_class_has_a_filing_condition_with_both_urgencies_in_both_area_classes(catalogue):
    combinations = {(u, a) for u in (Urgency.NORMAL, Urgency.URGENT) for a in ("1", "2")}
    for category in minor_classes().prefetch_related("filing_conditions__time_limits"):
        conditions = list(category.filing_conditions.all())
        assert conditions, category
        for condition in conditions:
            assert condition.filing_text and condition.closing_text
            rows = {(t.urgency, t.area_class) for t in condition.time_limits.all() if t.urgency != Urgency.EMERGENCY}
            assert rows == combinations, condition


def test_the_limits_follow_the_documented_rule_urgent_half_class_two_one_and_a_half(catalogue):
    def half_up(value):
        return max(Decimal("0.5"), (value * 2).to_integral_value(rounding="ROUND_CEILING") / 2)

    for condition in FilingCondition.objects.prefetch_related("time_limits"):
        limits = {(t.urgency, t.area_class): t for t in condition.time_limits.all()}
        base = limits[(Urgency.NORMAL, "1")].value
        assert limits[(Urgency.URGENT, "1")].value == half_up(base / 2), condition
        assert limits[(Urgency.NORMAL, "2")].value == half_up(base * Decimal("1.5")), condition
        assert limits[(Urgency.URGENT, "2")].value == half_up(base * Decimal("0.75")), condition
        assert len({t.unit for (u, _a), t in limits.items() if u != Urgency.EMERGENCY}) == 1, condition


def test_the_emergency_events_have_emergency_limits_at_half_the_urgent_one_in_natural_time(catalogue):
    minutes = {"natural_hour": 60, "natural_minute": 1}
    conditions = FilingCondition.objects.filter(category__kind="E", category__parent__code="04")
    for condition in conditions.prefetch_related("time_limits"):
        limits = {(t.urgency, t.area_class): t.value * minutes[t.unit] for t in condition.time_limits.all()}
        for area in ("1", "2"):
            assert limits[(Urgency.EMERGENCY, area)] == limits[(Urgency.URGENT, area)] / 2, condition
    others = TimeLimit.objects.filter(urgency=Urgency.EMERGENCY).exclude(filing_condition__in=conditions)
    assert not others.exists()


def test_illegal_building_has_the_three_conditions_of_the_district_rulebook(catalogue):
    names = list(catalogue.category("E0101").filing_conditions.values_list("name", flat=True))
    assert names == ["责令停工", "立案处罚", "拆除"]
    assert (limit("E0101", "责令停工").value, limit("E0101", "责令停工").unit) == (4, TimeUnit.WORKING_HOUR)
    assert (limit("E0101", "立案处罚").value, limit("E0101", "立案处罚").unit) == (7, TimeUnit.WORKING_DAY)
    assert (limit("E0101", "拆除").value, limit("E0101", "拆除").unit) == (20, TimeUnit.WORKING_DAY)


@pytest.mark.parametrize(
    ("display_code", "condition", "value", "unit"),
    [
        ("E0102", "暴露垃圾", 4, TimeUnit.WORKING_HOUR),
        ("E0103", "建筑垃圾", 4, TimeUnit.WORKING_HOUR),
        ("E0103", "渣土堆", 2, TimeUnit.WORKING_DAY),
        ("E0104", "道路不洁", 2, TimeUnit.WORKING_HOUR),
        ("E0106", "绿地脏乱", 4, TimeUnit.WORKING_HOUR),
        ("C0405", "绿地养护不到位", 5, TimeUnit.WORKING_DAY),
        ("C0101", "井盖缺失", 2, TimeUnit.NATURAL_HOUR),
        ("C0114", "井盖缺失", 2, TimeUnit.NATURAL_HOUR),
    ],
)
def test_the_real_examples_of_domain_section_5_are_the_normal_class_one_limits(
    catalogue, display_code, condition, value, unit
):
    found = limit(display_code, condition)
    assert (found.value, found.unit) == (value, unit)


def test_missing_or_broken_manhole_covers_of_every_owner_run_on_natural_time(catalogue):
    covers = minor_classes().filter(kind="C", code__gte="0101", code__lte="0114").exclude(code="0113")
    assert covers.count() == 9
    for category in covers:
        urgent = category.filing_conditions.filter(name__regex="(缺失|破损)$")
        assert urgent.count() == 2, category
        assert set(urgent.values_list("clock", flat=True)) == {Clock.NATURAL}
        assert set(urgent.values_list("time_limits__unit", flat=True)) == {TimeUnit.NATURAL_HOUR}


def test_every_emergency_event_runs_on_natural_time(catalogue):
    emergencies = FilingCondition.objects.filter(category__kind="E", category__parent__code="04")
    assert set(emergencies.values_list("category__code", flat=True)) == {"0401", "0402", "0403", "0404", "0406", "0408"}
    assert set(emergencies.values_list("clock", flat=True)) == {Clock.NATURAL}


def test_only_emergencies_run_on_natural_time_and_only_in_natural_hours(catalogue):
    natural = FilingCondition.objects.filter(clock=Clock.NATURAL)
    units = {TimeUnit.NATURAL_HOUR, TimeUnit.NATURAL_MINUTE}
    assert set(natural.values_list("time_limits__unit", flat=True)) == units
    working = FilingCondition.objects.filter(clock=Clock.WORKING)
    assert not units & set(working.values_list("time_limits__unit", flat=True))
    assert set(natural.filter(category__kind="E").values_list("category__parent__code", flat=True)) == {"04"}


def test_every_step_of_the_centre_has_a_limit_in_working_hours(catalogue):
    limits = {s.step: (s.value, s.unit) for s in StepLimit.objects.all()}
    assert limits == {
        Step.ACCEPT: (Decimal("0.5"), TimeUnit.WORKING_HOUR),
        Step.VERIFY: (Decimal("1"), TimeUnit.WORKING_HOUR),
        Step.REGISTER: (Decimal("0.5"), TimeUnit.WORKING_HOUR),
        Step.DISPATCH: (Decimal("0.5"), TimeUnit.WORKING_HOUR),
        Step.CHECK: (Decimal("1"), TimeUnit.WORKING_HOUR),
        Step.CLOSE: (Decimal("0.5"), TimeUnit.WORKING_HOUR),
    }


def test_categories_carry_their_pinyin_initials(catalogue):
    initials = dict(Category.objects.filter(kind="E").values_list("name", "initials"))
    assert initials["暴露垃圾"] == "bllj"
    assert initials["私搭乱建"] == "sdlj"
    assert initials["空调室外机低挂"] == "ktswjdg"
    assert not Category.objects.filter(initials="").exists()


@pytest.mark.django_db
def test_seeding_twice_changes_nothing():
    def counts():
        return [m.objects.count() for m in (Category, FilingCondition, TimeLimit, StepLimit)]

    first = catalogue_seed()
    after_first = counts()
    ids = sorted(TimeLimit.objects.values_list("id", flat=True))
    assert catalogue_seed() == first
    assert counts() == after_first == [82, 120, 494, 6]
    assert sorted(TimeLimit.objects.values_list("id", flat=True)) == ids
    assert first == "71 minor classes, 120 filing conditions, 494 time limits, 6 step limits"


@pytest.mark.django_db
def test_seeding_restores_an_edited_limit_and_keeps_what_the_file_does_not_mention():
    catalogue_seed()
    TimeLimit.objects.filter(filing_condition__name="暴露垃圾").update(value=99)
    extra = FilingCondition.objects.create(
        category=Category.objects.get(kind="E", code="0102"), name="节日临时加派", filing_text="x", closing_text="y"
    )
    catalogue_seed()
    assert limit("E0102", "暴露垃圾").value == 4
    assert FilingCondition.objects.filter(pk=extra.pk).exists()


@pytest.mark.django_db
def test_seeding_is_quick():
    import time

    started = time.monotonic()
    catalogue_seed()
    catalogue_seed()
    assert time.monotonic() - started < 2
