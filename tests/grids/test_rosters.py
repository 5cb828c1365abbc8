"""The duty roster's bulk ways in: a CSV import (all or nothing, repeat-safe) and copying a week to the next."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grids.models import DutyShift
from grids.services.errors import GridImportError
from grids.services.rosters import roster_copy_week, roster_import

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
HEADER = "username,kind,department,patrol_area,starts_at,ends_at,phone,note\n"


@pytest.fixture
def roster(personas):
    handler, office = personas["handler"], personas["handler_department"]
    return (
        HEADER
        + f"{handler.username},leader,{office.code},,2026-12-07 08:30,2026-12-07 17:30,0752-2100001,白班\n"
        + f"{personas['street_handler'].username},officer,{office.code},,2026-12-07 17:30,2026-12-08 08:30,,夜班\n"
    )


def test_a_roster_file_imports_once_in_beijing_time(roster):
    report = roster_import(text=roster)
    assert (report.created, report.skipped) == (2, 0)
    day = DutyShift.objects.get(note="白班")
    assert day.starts_at == datetime(2026, 12, 7, 8, 30, tzinfo=SH) and day.kind == "leader"
    again = roster_import(text=roster)
    assert (again.created, again.skipped) == (0, 2) and DutyShift.objects.count() == 2


def test_a_file_with_bad_lines_imports_nothing_and_names_every_bad_line(roster):
    bad = roster + "nobody,officer,no-such-dept,,2026-12-07 08:30,2026-12-07 07:00,,\n" + "x,boss,a,b,soon,later,,\n"
    with pytest.raises(GridImportError) as error:
        roster_import(text=bad)
    problems = error.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 4", "line 5"]
    assert "no department no-such-dept" in problems[0] and "end after it starts" in problems[0]
    assert "not both" in problems[1] and "duty must be one of" in problems[1]
    assert DutyShift.objects.count() == 0
    with pytest.raises(GridImportError):
        roster_import(text="name,when\nx,y\n")


def test_copying_a_week_moves_its_shifts_seven_days_on_once(roster):
    roster_import(text=roster)
    report = roster_copy_week(week_of=datetime(2026, 12, 9).date())
    assert report.created == 2
    assert DutyShift.objects.filter(starts_at=datetime(2026, 12, 14, 8, 30, tzinfo=SH)).exists()
    assert roster_copy_week(week_of=datetime(2026, 12, 9).date()).created == 0
    assert DutyShift.objects.filter(starts_at__gte=datetime(2026, 12, 14, tzinfo=SH)).count() == 2
    first = DutyShift.objects.order_by("starts_at").first()
    assert first.ends_at - first.starts_at == timedelta(hours=9)


def test_an_administrator_imports_a_roster_and_sees_the_bad_lines(admin_client, roster):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = "/admin/grids/dutyshift/import/"
    assert "Import roster CSV" in admin_client.get("/admin/grids/dutyshift/").content.decode()
    bad = SimpleUploadedFile("roster.csv", (roster + "ghost,officer,x,,2026-12-07 08:30,2026-12-07 09:30,,\n").encode())
    page = admin_client.post(url, {"file": bad}).content.decode()
    assert "line 4" in page and DutyShift.objects.count() == 0
    good = SimpleUploadedFile("roster.csv", roster.encode("utf-8-sig"))
    assert admin_client.post(url, {"file": good}).status_code == 302
    assert DutyShift.objects.count() == 2
    ids = list(DutyShift.objects.values_list("pk", flat=True))
    answer = admin_client.post(
        "/admin/grids/dutyshift/", {"action": "copy_to_next_week", "_selected_action": ids}, follow=True
    )
    assert "2 shifts copied" in answer.content.decode() and DutyShift.objects.count() == 4
