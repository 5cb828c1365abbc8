"""The admin for users and postings: pages render, and postings get the same field messages as posting_grant."""

import pytest

from accounts.models import Posting, Role, User
from grids.models import Region
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_cn(client, huizhou_departments):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_user_list_and_change_page_with_postings_render(admin_client_cn, street_handler):
    assert admin_client_cn.get("/admin/accounts/user/", {"q": "p-street"}).status_code == 200
    response = admin_client_cn.get(f"/admin/accounts/user/{street_handler.pk}/change/")
    assert response.status_code == 200
    assert "惠州市惠城区桥东街道办事处" in response.content.decode()


def test_posting_list_renders(admin_client_cn, district_dispatcher, handler):
    assert admin_client_cn.get("/admin/accounts/posting/").status_code == 200


def test_admin_refuses_a_handler_posting_without_department(admin_client_cn):
    user = UserFactory()
    region = Region.objects.get(code="441302")
    response = admin_client_cn.post(
        "/admin/accounts/posting/add/", {"user": user.pk, "role": Role.HANDLER, "region": region.pk}
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.errors) == {"region", "department"}
    assert not Posting.objects.filter(user=user).exists()


def test_admin_adds_a_dispatcher_posting(admin_client_cn):
    user = UserFactory()
    region = Region.objects.get(code="441302")
    response = admin_client_cn.post(
        "/admin/accounts/posting/add/", {"user": user.pk, "role": Role.DISPATCHER, "region": region.pk}
    )
    assert response.status_code == 302
    assert Posting.objects.filter(user=user, role=Role.DISPATCHER, region=region).exists()


def test_admin_creates_a_user_with_full_name(admin_client_cn):
    response = admin_client_cn.post(
        "/admin/accounts/user/add/",
        {
            "username": "chenjing",
            "full_name": "陈静",
            "phone": "",
            "password1": "Xizhi-lake-at-dawn-7",
            "password2": "Xizhi-lake-at-dawn-7",
            "usable_password": "true",
            "postings-TOTAL_FORMS": "0",
            "postings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(username="chenjing").full_name == "陈静"
