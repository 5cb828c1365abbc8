"""The public portal's part of the demo: residents' reports in different states, with follow links one can open.

Made through the portal's own service (`dispatch.public.services.public_report`) and the workflow, the clock set
per step: a report just received (its phone confirmed for SMS updates), one being handled, one closed and waiting
for its rating, one rated 不满意 (in the operators' 回访 queue), and two 12345 callers who asked for a call-back
once their case closed. The follow links have fixed demo tokens (``/public/follow/demo-…/``) so the README can
point at them; real links carry 256 random bits.
"""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case, Category, FilingCondition, Source
from cases.services.intake import case_report
from cases.services.transitions import case_transition
from dispatch.models import PublicFollow, token_digest
from dispatch.public.services import public_rate
from dispatch.public.services import public_report as portal_report

DEMO_TOKENS = ("demo-received", "demo-handling", "demo-closed", "demo-dissatisfied")


def _photo(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _walk(case, users, *, to, start):
    """Accept, file, dispatch to the city bureau, handle, check and (to="closed") close, a few minutes apart."""
    condition = FilingCondition.objects.filter(category=case.category, active=True).order_by("position", "id").first()
    steps = [
        ("accept", "operator", {}, "", ()),
        ("register", "shiftlead", {"filing_condition": condition.pk, "urgency": "normal"}, "", ()),
        ("dispatch", "dispatcher", {"lead_department": "city-urban-management"}, "", ()),
    ]
    if to == "closed":
        steps += [
            ("feedback", "handler", {}, "已清理完毕", (_photo((120, 160, 120)),)),
            ("request_check", "operator", {"assignee": "gridworker"}, "", ()),
            ("check", "gridworker", {"passed": True}, "", ()),
            ("close", "shiftlead", {}, "", ()),
        ]
    at = start
    for action, who, params, note, photos in steps:
        at += timedelta(minutes=25)
        if action == "dispatch" and Case.objects.get(pk=case.pk).status != "to_dispatch":
            continue  # the responsibility list dispatched it on its own when it was filed
        case_transition(
            case_id=case.pk, actor=users[who], action=action, note=note, params=params, photos=photos, now=at
        )
    return at


def portal_seed(*, now, users, point) -> str:
    """The portal's demo cases (only with the workload's first load); returns a summary with the follow links."""
    if PublicFollow.objects.filter(token_digest=token_digest(DEMO_TOKENS[0])).exists():
        return "portal demo kept"
    category = Category.objects.get(kind="E", code="0102", parent__isnull=False)
    made = []
    plans = [
        (DEMO_TOKENS[0], timedelta(minutes=40), None, "小区门口堆了一袋袋装修垃圾", True, ""),
        (DEMO_TOKENS[1], timedelta(hours=5), "handling", "人行道上有一堆建筑垃圾", False, ""),
        (DEMO_TOKENS[2], timedelta(days=2), "closed", "公交站旁垃圾桶满溢", False, ""),
        (DEMO_TOKENS[3], timedelta(days=3), "closed", "河边绿化带里有人倒垃圾", False, "dissatisfied"),
    ]
    for i, (token, ago, to, text, updates, rating) in enumerate(plans):
        p = point()
        reported = portal_report(
            category=category,
            description=text,
            lon=p.x,
            lat=p.y,
            address="惠城区桥东街道",
            contact_name="陈先生" if i % 2 else "",
            contact_phone=f"1390000{1000 + i:04d}",
            wants_updates=updates,
            photos=[_photo((90 + 20 * i, 140, 60))],
            now=now - ago,
        )
        follow = reported.follow
        follow.token_digest = token_digest(token)
        if updates:
            follow.phone_verified_at = now - ago + timedelta(minutes=2)
            follow.code_digest, follow.code_expires_at = "", None
        follow.save()
        if to:
            closed_at = _walk(reported.case, users, to=to, start=now - ago)
            if rating:
                public_rate(
                    follow_id=follow.pk,
                    satisfaction=rating,
                    comment="清理后第二天又有人倒，希望加装监控",
                    now=closed_at + timedelta(hours=3),
                )
        made.append(reported.case)
    callers = 0
    for i, ago in enumerate((timedelta(days=1), timedelta(days=4))):
        p = point()
        case, _created = case_report(
            actor=users["operator"],
            source=Source.HOTLINE_12345,
            category=category,
            description="来电反映路边垃圾无人清运，处理后请回电",
            lon=p.x,
            lat=p.y,
            contact_name="刘女士" if i else "黄先生",
            contact_phone=f"1380000{2000 + i:04d}",
            callback_requested=True,
            work_order_number=f"HZ{now:%Y%m%d}7{i + 1:06d}",  # every 12345 transfer carries the hotline's number
            idempotency_key=f"demo:callback-{i}",
            now=now - ago,
        )
        _walk(case, users, to="closed", start=now - ago)
        callers += 1
    links = ", ".join(f"/public/follow/{t}/" for t in DEMO_TOKENS)
    queue = Case.objects.filter(status="closed", callback_requested=True).count()
    return f"{len(made)} portal cases ({links}), {callers} 12345 callers awaiting a call-back ({queue} in all)"
