"""Rate limits per client address and per phone; the SMS code: wrong, expired, too many tries; SMS updates."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case
from dispatch.models import OutboxMessage, PublicFollow

# The hourly limits count in fixed windows: pinned, so an hour turning between a test's posts cannot reset them.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("steady_rate_windows")]


def test_reports_from_one_address_are_limited_per_hour(portal, resident, settings):
    settings.PUBLIC_REPORTS_PER_ADDRESS_HOUR = 2
    answers = [portal.report(resident)[0].status_code for _ in range(3)]
    assert answers == [302, 302, 429]
    refused = portal.report(resident)[0]
    assert "Too many reports from your connection" in refused.content.decode()
    assert Case.objects.filter(source="public").count() == 2


def test_reports_with_one_phone_are_limited_per_hour_whatever_the_address(portal, phone, address, settings):
    settings.PUBLIC_REPORTS_PER_ADDRESS_HOUR = 2
    answers = []
    for i in range(3):
        client = Client(REMOTE_ADDR=f"{address.rsplit('.', 1)[0]}.{i + 1}", HTTP_ACCEPT_LANGUAGE="en")
        answers.append(portal.report(client, contact_phone=phone)[0].status_code)
    assert answers == [302, 302, 429]


def test_codes_to_one_phone_are_limited_per_hour(portal, resident, phone, settings):
    settings.PUBLIC_CODES_PER_PHONE_HOUR = 2
    _r, _case, token = portal.report(resident, contact_phone=phone, wants_updates="on")
    assert resident.post(f"/public/follow/{token}/code/resend/").status_code == 302
    refused = resident.post(f"/public/follow/{token}/code/resend/")
    assert refused.status_code == 429
    assert OutboxMessage.objects.filter(recipient=phone, key__startswith="public-code:").count() == 2


def test_the_right_code_confirms_the_phone_and_updates_then_go_by_sms(portal, resident, phone, cases):
    _r, case, token = portal.report(resident, contact_phone=phone, wants_updates="on")
    page = resident.get(f"/public/follow/{token}/").content.decode()
    assert "Confirm your phone" in page
    code = portal.code_sent_to(phone)
    answer = resident.post(f"/public/follow/{token}/code/", {"code": code})
    assert answer.status_code == 302
    assert PublicFollow.objects.get(case=case).phone_verified_at is not None
    cases.to("closed", case=case)
    updates = OutboxMessage.objects.filter(recipient=phone, key__startswith="public-update:").order_by("id")
    assert [u.body for u in updates][0].count(case.number) == 1
    assert updates.count() == 2  # accepted, closed


def test_without_a_confirmed_phone_no_update_is_sent(portal, resident, phone, cases):
    _r, case, _token = portal.report(resident, contact_phone=phone, wants_updates="on")
    cases.to("closed", case=case)
    assert not OutboxMessage.objects.filter(recipient=phone, key__startswith="public-update:").exists()


def test_a_wrong_code_is_refused_in_words_and_counted(portal, resident, phone):
    _r, case, token = portal.report(resident, contact_phone=phone, wants_updates="on")
    code = portal.code_sent_to(phone)
    wrong = "000000" if code != "000000" else "111111"
    answer = resident.post(f"/public/follow/{token}/code/", {"code": wrong})
    assert answer.status_code == 400
    assert "That code is not right" in answer.content.decode()
    follow = PublicFollow.objects.get(case=case)
    assert follow.code_tries == 1 and follow.phone_verified_at is None


def test_an_expired_code_is_refused(portal, resident, phone):
    _r, case, token = portal.report(resident, contact_phone=phone, wants_updates="on")
    code = portal.code_sent_to(phone)
    PublicFollow.objects.filter(case=case).update(code_expires_at=timezone.now() - timedelta(seconds=1))
    answer = resident.post(f"/public/follow/{token}/code/", {"code": code})
    assert answer.status_code == 400
    assert "expired" in answer.content.decode()
    assert PublicFollow.objects.get(case=case).phone_verified_at is None


def test_too_many_wrong_codes_spend_the_code_even_for_the_right_one(portal, resident, phone, settings):
    settings.PUBLIC_CODE_MAX_TRIES = 3
    _r, case, token = portal.report(resident, contact_phone=phone, wants_updates="on")
    code = portal.code_sent_to(phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        resident.post(f"/public/follow/{token}/code/", {"code": wrong})
    answer = resident.post(f"/public/follow/{token}/code/", {"code": code})
    assert answer.status_code == 400
    assert "Too many wrong codes" in answer.content.decode()
    assert PublicFollow.objects.get(case=case).phone_verified_at is None
    # A new code works again.
    assert resident.post(f"/public/follow/{token}/code/resend/").status_code == 302
    fresh = portal.code_sent_to(phone)
    assert resident.post(f"/public/follow/{token}/code/", {"code": fresh}).status_code == 302
    assert PublicFollow.objects.get(case=case).phone_verified_at is not None
