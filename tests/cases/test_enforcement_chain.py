"""The enforcement chain end to end on the real stack: an illegal street trading case is transferred (移送), confirmed,
helped by two departments, decided within the discretion standard, listed (挂牌督办), rectified, verified and
reported back (办结反馈), after which — and only then — its source case closes; both timelines tell the story."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from cases.clock import is_paused
from cases.enforcement_selectors import public_listings
from cases.models import (
    ApprovalState,
    Case,
    CaseEvent,
    Category,
    EnforcementCase,
    EnforcementListing,
    EnforcementState,
    FilingCondition,
)
from cases.services import enforcement as svc
from cases.services.enforcement import enforcement_sweep
from grids.models import Department
from huizhou_cityops.errors import ConflictError
from tests.factories.accounts import user_posted
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db

ENFORCEMENT_BODY = "city-urban-enforcement"
MARKET_REGULATION = "city-market-regulation"
QIAODONG_OFFICE = "street-441302001"


@pytest.fixture
def chain_people(personas):
    departments = {d.code: d for d in Department.objects.filter(code__in=[ENFORCEMENT_BODY, MARKET_REGULATION])}
    return {
        "enforcer": user_posted(username="p-enforcer", role=Role.HANDLER, department=departments[ENFORCEMENT_BODY]),
        "market": user_posted(username="p-market", role=Role.HANDLER, department=departments[MARKET_REGULATION]),
        "body": departments[ENFORCEMENT_BODY],
        "market_department": departments[MARKET_REGULATION],
    }


@pytest.fixture
def street_trading(cases):
    """An illegal street trading case (无照经营游商) in handling with the city bureau."""
    category = Category.objects.get(kind="E", code="0501")
    cases.category, cases.condition = category, FilingCondition.objects.filter(category=category).first()
    case = cases.report(category=category, description="东湖路口流动摊贩占道经营，多次劝离无效")
    return cases.to("handling", case=case)


def transfer(cases, case, *, actor="handler", body=ENFORCEMENT_BODY):
    return cases.act(
        case,
        actor,
        "transfer_to_enforcement",
        note="摊主拒不听劝，现场照片已附",
        enforcement_body=body,
        violation="占道经营",
    )


def actions_of(case):
    return list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))


def test_a_street_trading_case_runs_the_whole_chain_and_closes_only_after_the_report_back(
    cases, personas, chain_people, street_trading
):
    enforcer, market, street = chain_people["enforcer"], chain_people["market"], personas["street_handler"]
    case = transfer(cases, street_trading)
    chain = EnforcementCase.objects.get(source=case)
    assert chain.state == EnforcementState.TRANSFERRED and chain.body == chain_people["body"]
    assert chain.step == "confirm" and chain.step_deadline is not None
    assert chain.number.startswith("ZF")

    # 违法确认 by the body, with the offence of the discretion standard.
    svc.enforcement_confirm(enforcement_id=chain.pk, actor=enforcer, offence_code="ZDJY", note="现场核实属实")
    # 执法协作: the market regulator and the street office each give their part.
    part_market = svc.enforcement_collaborate(
        enforcement_id=chain.pk, actor=enforcer, department=MARKET_REGULATION, request="核查经营者登记信息"
    )
    part_street = svc.enforcement_collaborate(
        enforcement_id=chain.pk, actor=enforcer, department=QIAODONG_OFFICE, request="协助劝离并清理现场"
    )
    with pytest.raises(ConflictError):  # no decision while a part is missing
        svc.enforcement_decide(enforcement_id=chain.pk, actor=enforcer, circumstance="general", fine="100")
    svc.enforcement_part_give(task_id=part_market.pk, actor=market, feedback="经营者无营业执照")
    with pytest.raises(Http404):  # the market regulator cannot give the street office's part
        svc.enforcement_part_give(task_id=part_street.pk, actor=market, feedback="x")
    svc.enforcement_part_give(task_id=part_street.pk, actor=street, feedback="已协助劝离")

    # A penalty outside the standard (一般: 50–200 yuan) is refused without a reason, and waits for a leader with one.
    with pytest.raises(ValidationError) as refused:
        svc.enforcement_decide(enforcement_id=chain.pk, actor=enforcer, circumstance="general", fine="800")
    assert "reason" in refused.value.message_dict
    proposed = svc.enforcement_decide(
        enforcement_id=chain.pk, actor=enforcer, circumstance="general", fine="800", reason="屡教不改"
    )
    assert proposed.approval == ApprovalState.PENDING
    with pytest.raises(PermissionDenied):  # the body cannot approve its own departure from the standard
        svc.enforcement_penalty_approve(enforcement_id=chain.pk, actor=enforcer, approve=True)
    svc.enforcement_penalty_approve(
        enforcement_id=chain.pk, actor=personas["leader"], approve=False, note="情节一般，按基准处罚"
    )
    chain.refresh_from_db()
    assert chain.state == EnforcementState.COLLABORATING  # still undecided
    decision = svc.enforcement_decide(enforcement_id=chain.pk, actor=enforcer, circumstance="general", fine="200")
    assert decision.within_standard and decision.fine == Decimal("200")

    # 挂牌督办: listed publicly, lifted only once the rectification is verified.
    deadline = timezone.now() + timedelta(days=10)
    svc.enforcement_list(
        enforcement_id=chain.pk,
        actor=personas["dispatcher"],
        responsible=QIAODONG_OFFICE,
        rectification="设置疏导点，杜绝占道经营",
        deadline=deadline,
        public=True,
    )
    assert [row["number"] for row in public_listings()] == [chain.number]
    # The transparency page shows it to anyone.
    public = Client().get("/public/transparency/").content.decode()
    assert f'data-listing="{chain.number}"' in public and "设置疏导点，杜绝占道经营" in public
    svc.enforcement_rectify(enforcement_id=chain.pk, actor=street, note="已设置疏导点")
    assert EnforcementListing.objects.get(enforcement=chain).lifted_at is None
    svc.enforcement_verify(enforcement_id=chain.pk, actor=enforcer, passed=True, note="复查已整改")
    assert EnforcementListing.objects.get(enforcement=chain).lifted_at is not None
    assert public_listings() == []

    # The source case is done with, but cannot close before the report back.
    case = cases.act(case, "handler", "feedback", note="已移送执法并整改", photos=[jpeg_upload()])
    case = cases.act(case, "operator", "request_check", assignee=personas["grid_worker"].username)
    case = cases.act(case, "grid_worker", "check", passed=True)
    with pytest.raises(ConflictError) as early:
        cases.act(case, "shift_lead", "close")
    assert early.value.code == "enforcement_open"

    svc.enforcement_feedback(enforcement_id=chain.pk, actor=enforcer, note="罚款200元，已整改到位")
    case = cases.act(case, "shift_lead", "close")
    assert case.status == "closed"
    svc.enforcement_close(enforcement_id=chain.pk, actor=enforcer)

    # Both timelines tell the chain.
    chain_actions = list(chain.events.values_list("action", flat=True))
    assert chain_actions == [
        "transfer",
        "confirm",
        "collaborate",
        "collaborate",
        "part_given",
        "part_given",
        "penalty_proposed",
        "penalty_refused",
        "decide",
        "list",
        "rectify",
        "verify",
        "feedback",
        "close",
    ]
    source_actions = actions_of(case)
    for expected in ("transfer_to_enforcement", "enforcement_confirmed", "enforcement_listed", "enforcement_feedback"):
        assert expected in source_actions
    assert source_actions.index("enforcement_feedback") < source_actions.index("close")
    # A resident following the report reads the chain in public words, without its notes.
    from dispatch.models import PublicFollow, token_digest

    PublicFollow.objects.create(case=case, token_digest=token_digest("chain-follow"))
    follow = Client(HTTP_ACCEPT_LANGUAGE="en").get("/public/follow/chain-follow/").content.decode()
    assert "Passed to the law-enforcement authority." in follow
    assert "The law-enforcement authority reported its result." in follow
    assert "罚款200元" not in follow


def test_a_declined_transfer_comes_back_to_the_source_case_and_restarts_its_clock(
    cases, personas, chain_people, street_trading
):
    Category.objects.filter(pk=street_trading.category_id).update(enforcement_pauses_clock=True)
    case = transfer(cases, street_trading, actor="dispatcher")
    assert is_paused(case)
    chain = EnforcementCase.objects.get(source=case)
    with pytest.raises(ValidationError):
        svc.enforcement_decline(enforcement_id=chain.pk, actor=chain_people["enforcer"], reason="  ")
    svc.enforcement_decline(enforcement_id=chain.pk, actor=chain_people["enforcer"], reason="不属于本单位管辖")
    case = Case.objects.get(pk=case.pk)
    assert not is_paused(case) and case.stage_deadline is not None
    event = CaseEvent.objects.filter(case=case).last()
    assert event.action == "enforcement_declined" and event.note == "不属于本单位管辖"


def test_a_transfer_keeps_the_clock_running_by_default_and_needs_an_enforcement_unit(cases, personas, street_trading):
    with pytest.raises(ValidationError) as wrong_body:
        transfer(cases, street_trading, body=MARKET_REGULATION)
    assert "enforcement_body" in wrong_body.value.message_dict
    assert not EnforcementCase.objects.exists()
    case = transfer(cases, street_trading)
    assert not is_paused(case)
    with pytest.raises(ConflictError):  # one chain at a time
        transfer(cases, case)
    assert EnforcementCase.objects.count() == 1


def test_only_the_body_confirms_and_outsiders_cannot_find_the_chain(cases, personas, chain_people, street_trading):
    transfer(cases, street_trading)
    chain = EnforcementCase.objects.get()
    with pytest.raises(PermissionDenied):
        svc.enforcement_confirm(enforcement_id=chain.pk, actor=personas["dispatcher"], offence_code="ZDJY")
    with pytest.raises(Http404):
        svc.enforcement_confirm(enforcement_id=chain.pk, actor=personas["outsider"], offence_code="ZDJY")
    with pytest.raises(ValidationError):
        svc.enforcement_confirm(enforcement_id=chain.pk, actor=chain_people["enforcer"], offence_code="NOPE")
    chain.refresh_from_db()
    assert chain.state == EnforcementState.TRANSFERRED


def test_the_sweep_marks_an_overdue_step_once(cases, personas, chain_people, street_trading):
    transfer(cases, street_trading)
    chain = EnforcementCase.objects.get()
    later = chain.step_deadline + timedelta(minutes=1)
    assert enforcement_sweep(now=later) == 1
    assert enforcement_sweep(now=later) == 0
    chain.refresh_from_db()
    assert chain.overdue and chain.events.last().action == "overdue"
