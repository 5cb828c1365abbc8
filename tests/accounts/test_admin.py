"""The admin for users and postings: pages render, and postings get the same field messages as posting_grant."""

import pytest

from accounts.models import Posting, Role, User
from grids.models import Region
from tests.factories.accounts import PostingFactory, UserFactory

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


def _posting_form_errors(response):
    assert response.status_code == 200
    return response.context["adminform"].form.errors


def test_admin_refuses_a_posting_the_user_already_holds_with_a_field_message(admin_client_cn):
    user = UserFactory()
    region = Region.objects.get(code="441302")
    PostingFactory(user=user, role=Role.DISPATCHER, region=region)
    response = admin_client_cn.post(
        "/admin/accounts/posting/add/", {"user": user.pk, "role": Role.DISPATCHER, "region": region.pk}
    )
    assert set(_posting_form_errors(response)) == {"region"}
    # The page speaks the user's language (Chinese by default), like every other field message.
    assert "已在惠城区 (441302)担任派遣员" in str(_posting_form_errors(response)["region"])
    assert Posting.objects.filter(user=user).count() == 1


def test_admin_refuses_a_second_handler_posting_in_the_same_department(admin_client_cn, huizhou_departments):
    user = UserFactory()
    department = huizhou_departments["city-urban-management"]
    PostingFactory(user=user, role=Role.HANDLER, department=department)
    response = admin_client_cn.post(
        "/admin/accounts/posting/add/", {"user": user.pk, "role": Role.HANDLER, "department": department.pk}
    )
    assert set(_posting_form_errors(response)) == {"department"}
    assert Posting.objects.filter(user=user).count() == 1


def test_admin_refuses_to_turn_a_posting_into_a_copy_of_another(admin_client_cn):
    user = UserFactory()
    region = Region.objects.get(code="441302")
    PostingFactory(user=user, role=Role.DISPATCHER, region=region)
    operator = PostingFactory(user=user, role=Role.OPERATOR, region=region)
    response = admin_client_cn.post(
        f"/admin/accounts/posting/{operator.pk}/change/",
        {"user": user.pk, "role": Role.DISPATCHER, "region": region.pk},
    )
    assert set(_posting_form_errors(response)) == {"region"}
    operator.refresh_from_db()
    assert operator.role == Role.OPERATOR


def test_admin_saves_a_posting_unchanged_apart_from_its_dates(admin_client_cn):
    user = UserFactory()
    region = Region.objects.get(code="441302")
    posting = PostingFactory(user=user, role=Role.DISPATCHER, region=region)
    response = admin_client_cn.post(
        f"/admin/accounts/posting/{posting.pk}/change/",
        {"user": user.pk, "role": Role.DISPATCHER, "region": region.pk, "valid_to": "2030-12-31"},
    )
    assert response.status_code == 302
    posting.refresh_from_db()
    assert posting.valid_to.isoformat() == "2030-12-31"


def _user_change_data(user, rows, initial=0):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "phone": "",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "postings-TOTAL_FORMS": str(len(rows)),
        "postings-INITIAL_FORMS": str(initial),
    }
    for i, row in enumerate(rows):
        data.update({f"postings-{i}-{name}": value for name, value in row.items()})
        data[f"postings-{i}-user"] = user.pk
    return data


def _inline_errors(response):
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    return inline.formset.errors


def test_user_page_refuses_a_new_row_repeating_a_saved_posting(admin_client_cn):
    user = UserFactory()
    region = Region.objects.get(code="441302")
    posting = PostingFactory(user=user, role=Role.DISPATCHER, region=region)
    saved = {"id": posting.pk, "role": Role.DISPATCHER, "region": region.pk}
    again = {"role": Role.DISPATCHER, "region": region.pk}
    response = admin_client_cn.post(
        f"/admin/accounts/user/{user.pk}/change/", _user_change_data(user, [saved, again], initial=1)
    )
    errors = _inline_errors(response)
    assert errors[0] == {}
    assert set(errors[1]) == {"region"}
    assert Posting.objects.filter(user=user).count() == 1


def test_new_user_with_the_same_posting_twice_gets_a_row_error_not_a_500(admin_client_cn, huizhou_departments):
    department = huizhou_departments["city-urban-management"]
    row = {"role": Role.HANDLER, "department": department.pk}
    data = {
        "username": "huangzm",
        "full_name": "黄志明",
        "phone": "",
        "password1": "Xizhi-lake-at-dawn-7",
        "password2": "Xizhi-lake-at-dawn-7",
        "usable_password": "true",
        "postings-TOTAL_FORMS": "2",
        "postings-INITIAL_FORMS": "0",
        **{f"postings-{i}-{name}": value for i in (0, 1) for name, value in row.items()},
    }
    errors = _inline_errors(admin_client_cn.post("/admin/accounts/user/add/", data))
    assert errors[0] == {}
    assert set(errors[1]) == {"department"}
    assert not User.objects.filter(username="huangzm").exists()
