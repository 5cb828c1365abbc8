"""Administrators edit the catalogue in the admin; a limit in units its clock cannot count is refused."""

from cases.models import TimeLimit

# admin_client is pytest-django's: a superuser, signed in.


def test_the_catalogue_pages_open_and_search_by_initials(admin_client, catalogue):
    assert "暴露垃圾" in admin_client.get("/admin/cases/category/", {"q": "bllj"}).content.decode()
    illegal_building = catalogue.category("E0101")
    page = admin_client.get(f"/admin/cases/category/{illegal_building.pk}/change/").content.decode()
    assert "责令停工" in page and "拆除" in page
    condition = catalogue.condition("C0101", "井盖缺失")
    assert admin_client.get(f"/admin/cases/filingcondition/{condition.pk}/change/").status_code == 200
    assert admin_client.get("/admin/cases/steplimit/").status_code == 200


def test_a_working_hour_limit_on_a_natural_clock_condition_is_refused(admin_client, catalogue):
    condition = catalogue.condition("C0101", "井盖缺失")
    limits = list(condition.time_limits.order_by("area_class", "-urgency"))
    data = {
        "category": condition.category_id,
        "name": condition.name,
        "filing_text": condition.filing_text,
        "closing_text": condition.closing_text,
        "clock": condition.clock,
        "position": condition.position,
        "active": "on",
        "time_limits-TOTAL_FORMS": len(limits),
        "time_limits-INITIAL_FORMS": len(limits),
        "time_limits-MIN_NUM_FORMS": 0,
        "time_limits-MAX_NUM_FORMS": 1000,
    }
    for i, limit in enumerate(limits):
        data |= {
            f"time_limits-{i}-id": limit.pk,
            f"time_limits-{i}-filing_condition": condition.pk,
            f"time_limits-{i}-urgency": limit.urgency,
            f"time_limits-{i}-area_class": limit.area_class,
            f"time_limits-{i}-value": limit.value,
            f"time_limits-{i}-unit": "working_hour" if i == 0 else limit.unit,
        }
    response = admin_client.post(f"/admin/cases/filingcondition/{condition.pk}/change/", data)
    assert response.status_code == 200  # the form again, with the error
    assert "natural_hour" in response.content.decode()
    assert set(TimeLimit.objects.filter(filing_condition=condition).values_list("unit", flat=True)) == {"natural_hour"}
    data["time_limits-0-unit"] = "natural_hour"
    data["time_limits-0-value"] = "1.5"
    assert admin_client.post(f"/admin/cases/filingcondition/{condition.pk}/change/", data).status_code == 302
    assert TimeLimit.objects.get(pk=limits[0].pk).value == 1.5
