"""The holiday-calendar banner: shown to those who maintain the calendar, only when a year that matters is missing."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Role
from cases.worktime import WorkCalendar, coverage, maintains_calendar
from grids.models import Region
from tests.dispatch.test_pages_command import client_for
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db
BANNER = 'class="banner banner-warning"'


@pytest.fixture
def known_until(monkeypatch):
    """`known_until(year)`: the calendar has every holiday schedule from 2004 up to `year`."""

    def set_last(year):
        monkeypatch.setattr(coverage, "work_calendar", lambda: WorkCalendar(known_years=range(2004, year + 1)))

    return set_last


def _city():
    return Region.objects.defer("geom").get(code="4413")


@pytest.fixture
def administrator(huizhou_grid):
    return user_posted(username="p-administrator", role=Role.ADMINISTRATOR, region=_city())


@pytest.fixture
def calendar_clerk(huizhou_grid):
    """A command-centre dispatcher who is also staff allowed to edit the holiday schedule years."""
    user = user_posted(username="p-calendar-clerk", role=Role.DISPATCHER, region=_city(), is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="cases", codename="change_calendaryear"))
    return user


@pytest.fixture
def staff_dispatcher(huizhou_grid):
    """Staff (the admin site opens) but without the calendar's permissions."""
    return user_posted(username="p-staff-dispatcher", role=Role.DISPATCHER, region=_city(), is_staff=True)


def _banner(user, url="/command/"):
    response = client_for(user).get(url)
    assert response.status_code == 200
    return BANNER in response.content.decode()


def test_calendar_maintainers_see_the_banner_when_this_year_is_missing(known_until, administrator, calendar_clerk):
    known_until(timezone.localdate().year - 1)
    assert maintains_calendar(administrator) and maintains_calendar(calendar_clerk)
    assert _banner(administrator) and _banner(administrator, "/dept/")
    assert _banner(calendar_clerk)


def test_nobody_else_sees_it_even_with_a_year_missing(known_until, dispatcher, staff_dispatcher, handler, leader):
    known_until(timezone.localdate().year - 1)
    for user in (dispatcher, staff_dispatcher, leader):
        assert not maintains_calendar(user)
        assert not _banner(user)
    assert not _banner(handler, "/dept/")


def test_no_banner_while_every_year_that_matters_is_loaded(known_until, administrator, calendar_clerk):
    known_until(timezone.localdate().year + 1)
    assert not _banner(administrator)
    assert not _banner(calendar_clerk)


def test_an_inactive_or_anonymous_user_maintains_nothing(calendar_clerk):
    from django.contrib.auth.models import AnonymousUser

    assert not maintains_calendar(AnonymousUser())
    calendar_clerk.is_active = False
    assert not maintains_calendar(calendar_clerk)
