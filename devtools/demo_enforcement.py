"""The enforcement part of the demo: street-trading and dumping cases transferred to the city's enforcement
detachment (移送) and left at different steps, so each demo account finds its piece of the chain: the enforcer
confirms, decides and lists; the street office gives its part and rectifies; the leader approves a penalty outside
the discretion standard; the dispatcher and the shift lead see it all from the case panel."""

from datetime import timedelta

from django.db.models import Q

from cases.models import Case, EnforcementCase, Status
from cases.services import enforcement as svc

BODY = "city-urban-enforcement"
STREET_OFFICE = "street-441302001"
MARKET = "city-market-regulation"


def _source(shift, name, category, ago):
    """A case filed `ago` and in handling (dispatched to the street office unless the list already sent it)."""
    case = shift.filed(name, "441302001", category, ago, source="counter")
    case = Case.objects.get(pk=case.pk)
    if case.status == Status.TO_DISPATCH:
        case = shift.act(case, "dispatch", "dispatcher", ago - timedelta(minutes=20), lead_department=STREET_OFFICE)
    return case


def _transfer(shift, case, ago, violation, note):
    shift.act(case, "transfer_to_enforcement", "dispatcher", ago, note=note, enforcement_body=BODY, violation=violation)
    return EnforcementCase.objects.get(source=case, state="transferred")


def seed_enforcement(shift) -> str:
    """Six chains at different steps; nothing when the enforcer's account is missing or chains exist already."""
    users, now = shift.users, shift.now
    enforcer, leader = users.get("enforcer"), users["leader"]
    if enforcer is None or EnforcementCase.objects.filter(Q(source__idempotency_key__startswith="demo:")).exists():
        return "no enforcement chains added"
    h = lambda n: timedelta(hours=n)  # noqa: E731 - the demo's shorthand for "hours ago"

    def at(hours):
        return now - h(hours)

    # 1. Just transferred: waiting for the enforcer's confirmation.
    first = _source(shift, "enforce-1", "E0501", h(6))
    _transfer(shift, first, h(2), "占道经营", "东湖路口流动摊贩占道经营，多次劝离无效")
    # 2. Confirmed; the street office still owes its part, the market regulator gave its.
    second = _transfer(shift, _source(shift, "enforce-2", "E0501", h(30)), h(26), "占道经营", "夜市摊点占道")
    svc.enforcement_confirm(enforcement_id=second.pk, actor=enforcer, offence_code="ZDJY", now=at(24))
    svc.enforcement_collaborate(
        enforcement_id=second.pk, actor=enforcer, department=STREET_OFFICE, request="协助劝离并设置疏导点", now=at(23)
    )
    svc.enforcement_collaborate(
        enforcement_id=second.pk, actor=enforcer, department=MARKET, request="核查经营者登记", now=at(23)
    )
    # 3. A penalty outside the standard waiting for the leader.
    third = _transfer(shift, _source(shift, "enforce-3", "E0501", h(50)), h(48), "占道经营", "屡次占道经营")
    svc.enforcement_confirm(enforcement_id=third.pk, actor=enforcer, offence_code="ZDJY", now=at(46))
    svc.enforcement_decide(
        enforcement_id=third.pk,
        actor=enforcer,
        circumstance="general",
        fine="600",
        reason="一年内第三次被查处，拒不改正",
        now=at(20),
    )
    # 4. Decided and publicly listed: the street office must rectify.
    fourth = _transfer(shift, _source(shift, "enforce-4", "E0513", h(80)), h(76), "违规倾倒", "建筑垃圾夜间偷倒")
    svc.enforcement_confirm(enforcement_id=fourth.pk, actor=enforcer, offence_code="WGQD", now=at(74))
    svc.enforcement_decide(enforcement_id=fourth.pk, actor=enforcer, circumstance="general", fine="8000", now=at(60))
    svc.enforcement_list(
        enforcement_id=fourth.pk,
        actor=leader,
        responsible=STREET_OFFICE,
        rectification="清运倾倒点建筑垃圾，设置围挡和监控",
        deadline=now + timedelta(days=7),
        public=True,
        now=at(58),
    )
    # 5. The whole chain, reported back: its source case may close.
    fifth = _transfer(shift, _source(shift, "enforce-5", "E0501", h(120)), h(118), "占道经营", "早市占道")
    svc.enforcement_confirm(enforcement_id=fifth.pk, actor=enforcer, offence_code="ZDJY", now=at(116))
    svc.enforcement_decide(enforcement_id=fifth.pk, actor=enforcer, circumstance="minor", fine="0", now=at(100))
    svc.enforcement_rectify(enforcement_id=fifth.pk, actor=enforcer, note="当事人已自行撤离", now=at(90))
    svc.enforcement_verify(enforcement_id=fifth.pk, actor=enforcer, passed=True, note="复查无占道", now=at(80))
    svc.enforcement_feedback(enforcement_id=fifth.pk, actor=enforcer, note="责令改正，不予处罚，已整改", now=at(79))
    # 6. Listed with the street office, rectified and lifted before its deadline, reported back and filed away: the
    # assessment's 执法办结率 and 挂牌督办销号率 have a chain to count (dashboard → the detachment, the street office).
    sixth = _transfer(shift, _source(shift, "enforce-6", "E0513", h(104)), h(100), "违规倾倒", "河堤旁倾倒装修垃圾")
    step = {"enforcement_id": sixth.pk, "actor": enforcer}
    svc.enforcement_confirm(**step, offence_code="WGQD", now=at(98))
    svc.enforcement_decide(**step, circumstance="general", fine="5000", now=at(96))
    svc.enforcement_list(
        **step, responsible=STREET_OFFICE, rectification="清运垃圾并恢复河堤绿化", deadline=at(30), now=at(95)
    )
    svc.enforcement_rectify(**step, note="垃圾已清运，绿化已补种", now=at(50))
    svc.enforcement_verify(**step, passed=True, note="现场复查合格", now=at(45))
    svc.enforcement_feedback(**step, note="罚款5000元，已整改销号", now=at(44))
    svc.enforcement_close(**step, now=at(43))
    return f"{EnforcementCase.objects.count()} enforcement chains ({first.number} waits for confirmation)"
