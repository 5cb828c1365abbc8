"""督办 and the enforcement chain in the assessment: October 2026 played through the real services, counted by hand.

The persona handler's department (城市管理和综合执法局) gets four supervision orders from the leader:

O1  issued 12 Oct 10:00 with 4 working hours, replied at 11:00        → replied on time
O2  issued 13 Oct 10:00 with 4 working hours, replied 16 Oct          → replied late
O3  issued 14 Oct 10:00, withdrawn the same day                      → not counted
O4  issued 15 Oct 10:00, never answered                               → due, not replied

So 3 orders to answer, 2 replied, 1 on time: 督办回复率 66.67 %, 督办按时回复率 33.33 %.

Two cases go to the city enforcement detachment (移送, each right after dispatch, within the handling limit):

Z1  transferred 12 Oct, confirmed 13 Oct (within 24 working hours), decided, listed with the Qiaodong street office
    as the responsible body and a deadline of 23 Oct, rectified and verified 22 Oct (lifted on time), reported back
    and filed away 26 Oct
Z2  transferred 14 Oct, declined 27 Oct (long after its confirmation limit)

For the detachment: 2 transfers, both on time; 2 chains opened, both ended; 2 confirmations, 1 on time
(移送及时率 100 %, 违法确认及时率 50 %, 执法办结率 100 %). For the street office: 1 listing due, lifted
(挂牌督办销号率 100 %).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Role
from assessment.indicators.sql import unit_counts
from assessment.periods import span_containing
from assessment.selectors import period_results
from assessment.services import assessment_freeze
from cases.models import EnforcementCase
from cases.services import enforcement as svc
from dispatch.services.orders import order_issue, order_reply, order_withdraw
from grids.models import Department
from tests.factories.accounts import user_posted

from .scenario import dispatched

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
OCTOBER = span_containing("month", date(2026, 10, 1))
BODY, STREET = "city-urban-enforcement", "street-441302001"


def at(day, hour, minute=0):
    return datetime(2026, 10, day, hour, minute, tzinfo=TZ)


def play_october(cases, personas):
    leader, handler = personas["leader"], cases.p["handler"]
    orders = [order_issue(case_id=dispatched(cases, d).pk, actor=leader, note="限期处置", reply_hours=4, now=at(d, 10))
              for d in (12, 13, 14, 15)]  # fmt: skip
    order_reply(order_id=orders[0].pk, actor=handler, reply="已安排人员处置", now=at(12, 11))
    order_reply(order_id=orders[1].pk, actor=handler, reply="已处置", now=at(16, 15))
    order_withdraw(order_id=orders[2].pk, actor=leader, note="误发", now=at(14, 11))

    body = Department.objects.get(code=BODY)
    enforcer = user_posted(username="m-enforcer", role=Role.HANDLER, department=body)
    chains = []
    for day in (12, 14):
        case = dispatched(cases, day)
        cases.act(case, "handler", "transfer_to_enforcement", note="移送", enforcement_body=BODY,
                  violation="占道经营", now=at(day, 9, 30))  # fmt: skip
        chains.append(EnforcementCase.objects.get(source=case))
    z1, z2 = (c.pk for c in chains)
    step = {"enforcement_id": z1, "actor": enforcer}
    svc.enforcement_confirm(**step, offence_code="ZDJY", now=at(13, 10))
    svc.enforcement_decide(**step, circumstance="general", fine="100", now=at(14, 10))
    svc.enforcement_list(**step, responsible=STREET, rectification="清理占道摊位", deadline=at(23, 18), now=at(15, 10))
    svc.enforcement_rectify(**step, note="已清理", now=at(21, 10))
    svc.enforcement_verify(**step, passed=True, now=at(22, 10))
    svc.enforcement_feedback(**step, note="罚款100元，已整改", now=at(23, 10))
    svc.enforcement_close(**step, now=at(26, 10))
    svc.enforcement_decline(enforcement_id=z2, actor=enforcer, reason="不属于本单位管辖", now=at(27, 10))
    return body, Department.objects.get(code=STREET)


ORDERS = {"orders_due": 3, "orders_replied": 2, "orders_replied_on_time": 1}
BODY_COUNTS = {
    "transfers": 2,
    "transfers_on_time": 2,
    "chains_opened": 2,
    "chains_ended": 2,
    "confirm_steps": 2,
    "confirm_steps_on_time": 1,
}


def test_orders_and_chains_of_a_month_counted_by_hand(cases, personas):
    body, street = play_october(cases, personas)
    departments, leaves = unit_counts(start=OCTOBER.start, end=OCTOBER.end, bound=timezone.now())
    handling = departments[cases.p["handler_department"].pk]
    assert {name: handling[name] for name in ORDERS} == ORDERS
    assert {name: departments[body.pk][name] for name in BODY_COUNTS} == BODY_COUNTS
    assert (departments[street.pk]["listings_due"], departments[street.pk]["listings_lifted"]) == (1, 1)
    # Every case lies in 东湖社区: the grid counts them all.
    grid = leaves[cases.community.path]
    assert {name: grid[name] for name in ORDERS} == ORDERS
    assert (grid["chains_opened"], grid["listings_due"], grid["listings_lifted"]) == (2, 1, 1)


def test_a_month_ending_before_the_chains_ended_counts_them_open(cases, personas):
    body, street = play_october(cases, personas)
    # The period 1–20 October: both chains opened, neither ended; the listing falls due after it; O2 was late.
    start, end = OCTOBER.start, datetime(2026, 10, 21, tzinfo=TZ)
    departments, _leaves = unit_counts(start=start, end=end, bound=end)
    assert (departments[body.pk]["chains_opened"], departments[body.pk]["chains_ended"]) == (2, 0)
    assert (departments[body.pk]["confirm_steps"], departments[body.pk]["confirm_steps_on_time"]) == (1, 1)
    assert departments.get(street.pk, {}).get("listings_due", 0) == 0


def test_the_indicators_and_the_enforcement_scheme_in_the_period_results(cases, personas):
    body, street = play_october(cases, personas)
    results = period_results(span=OCTOBER, subjects=["department"])
    handling = results.one("department", cases.p["handler_department"].code)
    assert handling.values["order_reply_rate"] == 66.67
    assert handling.values["order_on_time_reply_rate"] == 33.33
    detachment = results.one("department", body.code)
    assert detachment.values["transfer_timeliness_rate"] == 100.0
    assert detachment.values["confirmation_timeliness_rate"] == 50.0
    assert detachment.values["enforcement_close_rate"] == 100.0
    assert results.one("department", street.code).values["listing_clearance_rate"] == 100.0
    # Scored with the enforcement bodies' scheme: 50 × 25 % + 100 × 25 % + 100 × 10 %, over the weights that apply
    # (no listing of its own, no order to it): 47.5 / 0.6.
    scored = period_results(span=OCTOBER, subjects=["department"], overrides={"department": "enforcement-standard"})
    assert round(float(scored.one("department", body.code).score), 2) == round(47.5 / 0.6, 2)


def test_a_frozen_month_keeps_its_enforcement_figures_when_a_chain_event_arrives_late(cases, personas):
    body, _street = play_october(cases, personas)
    run = assessment_freeze(span=OCTOBER, now=datetime(2026, 11, 2, tzinfo=TZ))
    frozen = period_results(span=OCTOBER, subjects=["department"]).one("department", body.code)
    assert run.last_enforcement_event_id and frozen.counts["confirm_steps"] == 2
    # A confirmation dated in October but written after the freeze (a late entry) changes no frozen figure.
    case = dispatched(cases, 28)
    cases.act(case, "handler", "transfer_to_enforcement", note="移送", enforcement_body=BODY, violation="占道经营",
              now=at(28, 9, 30))  # fmt: skip
    again = period_results(span=OCTOBER, subjects=["department"]).one("department", body.code)
    assert again.counts["chains_opened"] == 2
    live = period_results(span=OCTOBER, subjects=["department"], live=True).one("department", body.code)
    assert live.counts["chains_opened"] == 3


def test_the_pages_show_the_new_figures_and_list_the_cases_behind_them(cases, personas, assessor):
    from django.test import Client
    from django.urls import reverse

    from cases.models import Case

    body, _street = play_october(cases, personas)
    client = Client()
    client.force_login(assessor)
    period = f"?period={OCTOBER.key}"
    page = client.get(reverse("assessment:department", args=[body.code]) + period).content.decode()
    assert "违法确认及时率" in page or "confirmations on time" in page
    explain = client.get(
        reverse("assessment:explain")
        + period
        + f"&unit=department&key={body.code}&indicator=confirmation_timeliness_rate"
    )
    assert explain.status_code == 200 and "50" in explain.content.decode()
    # The cases behind a figure: the source cases of the chains (a department and a grid).
    chains = list(EnforcementCase.objects.order_by("pk").values_list("source__number", flat=True))
    for unit, key in (("department", body.code), ("region", cases.community.code)):
        listed = client.get(
            reverse("assessment:cases") + period + f"&unit={unit}&key={key}&indicator=enforcement_close_rate"
            "&count=chains_opened"
        ).content.decode()
        assert all(number in listed for number in chains), unit
    late = Case.objects.get(supervision_orders__replied_at__date=date(2026, 10, 16))
    listed = client.get(
        reverse("assessment:cases") + period + f"&unit=department&key={cases.p['handler_department'].code}"
        "&indicator=order_reply_rate&count=orders_replied"
    ).content.decode()
    assert late.number in listed


def test_the_dashboard_ranks_by_the_enforcement_scheme_with_its_figures(cases, personas, assessor):
    from django.test import Client
    from django.urls import reverse

    body, _street = play_october(cases, personas)
    client = Client()
    client.force_login(assessor)
    url = reverse("assessment:dashboard") + f"?period={OCTOBER.key}"
    standard = client.get(url).content.decode()
    assert 'data-figure="confirmation_timeliness_rate"' not in standard
    chosen = client.get(url + "&scheme=enforcement-standard").content.decode()
    for name in ("confirmation_timeliness_rate", "enforcement_close_rate", "order_on_time_reply_rate"):
        assert f'data-figure="{name}"' in chosen
    assert f'data-unit="{body.code}"' in chosen
