"""Open311 GeoReport v2 driven with raw HTTP as the specification's examples do: real URLs, both formats (XML read
with xml.etree, element names checked), the errors in the specification's format, and a POSTed request ending up
in the operator's accept queue."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, Open311Request, Source, Status
from cases.open311.services import open311_client_create
from tests.factories.facilities import facility_at

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    *("service_request_id", "status", "status_notes", "service_name", "service_code", "description"),
    *("agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime"),
    *("address", "address_id", "zipcode", "lat", "long"),
]


@pytest.fixture
def web():
    cache.clear()  # the rate limits' windows live in Redis, across tests
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def client_key(cases):
    client, key = open311_client_create(name="12345 政务服务平台", contact="12345 热线")
    return client, key


def xml_of(response):
    assert response["Content-Type"].startswith("text/xml")
    body = response.content.decode("utf-8")
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own answer, parsed as a client would


def json_of(response):
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def assert_error(response, status, fmt="json"):
    """The specification's error document, in either format, with the HTTP status as its code."""
    assert response.status_code == status, response.content.decode()
    if fmt == "json":
        errors = json_of(response)
        assert [sorted(error) for error in errors] == [["code", "description"]]
        assert errors[0]["code"] == status and errors[0]["description"]
        return errors[0]["description"]
    root = xml_of(response)
    assert root.tag == "errors" and [child.tag for child in root] == ["error"]
    assert [child.tag for child in root[0]] == ["code", "description"]
    assert root[0].findtext("code") == str(status) and root[0].findtext("description")
    return root[0].findtext("description")


def post(web, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "E0102", "description": "路边暴露垃圾一堆", **fields}
    return web.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def test_discovery_names_the_v2_endpoint_in_both_formats(web):
    document = json_of(web.get(f"{BASE}/discovery.json"))
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = document["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml_of(web.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    formats = root.find("endpoints/endpoint/formats")
    assert [f.text for f in formats.findall("format")] == ["text/xml", "application/json"]


def test_services_list_the_catalogue_with_its_big_classes_as_groups(web, cases):
    facility_at(lon=cases.lon, lat=cases.lat, class_code="0101")
    services = json_of(web.get(f"{BASE}/services.json"))
    by_code = {service["service_code"]: service for service in services}
    assert list(by_code["E0102"]) == SERVICE_FIELDS
    garbage = by_code["E0102"]
    assert garbage["service_name"] == "暴露垃圾" and garbage["group"] == "市容环境"
    assert garbage["metadata"] is False and garbage["type"] == "realtime" and "暴露垃圾" in garbage["keywords"]
    assert by_code["C0101"]["metadata"] is True  # 上水井盖: the inventory holds one, its reports may name it
    root = xml_of(web.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and {child.tag for child in root} == {"service"}
    first = root.find("service[service_code='E0102']")
    assert [child.tag for child in first] == SERVICE_FIELDS
    assert first.findtext("metadata") == "false" and first.findtext("group") == "市容环境"
    assert len(root) == len(services)


def test_a_facility_class_defines_the_facility_code_attribute_and_others_are_not_found(web, cases):
    facility_at(lon=cases.lon, lat=cases.lat, class_code="0101")
    definition = json_of(web.get(f"{BASE}/services/C0101.json"))
    assert definition["service_code"] == "C0101"
    (attribute,) = definition["attributes"]
    assert attribute["code"] == "facility_code" and attribute["datatype"] == "string"
    assert attribute["variable"] is True and attribute["required"] is False and attribute["order"] == 1
    root = xml_of(web.get(f"{BASE}/services/C0101.xml"))
    assert root.tag == "service_definition" and [c.tag for c in root] == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert [c.tag for c in attribute] == [
        *("variable", "code", "datatype", "required", "datatype_description", "order", "description"),
    ]
    assert attribute.findtext("variable") == "true" and attribute.findtext("required") == "false"
    assert_error(web.get(f"{BASE}/services/E0102.json"), 404)
    assert_error(web.get(f"{BASE}/services/X9999.xml"), 404, "xml")


def test_a_posted_request_enters_the_operators_accept_queue_as_a_report_from_another_system(
    web, cases, personas, client_key
):
    client, key = client_key
    answer = json_of(
        post(
            web,
            key,
            lat=f"{cases.lat:.6f}",
            long=f"{cases.lon:.6f}",
            address_string="惠城区桥东街道东湖路",
            description="东湖路口暴露垃圾，联系人 13812345678",
            first_name="李",
            last_name="雷",
            phone="13812345678",
            email="li@example.com",
            device_id="app-42",
            jurisdiction_id="huizhou.gov.cn",
        )  # fmt: skip
    )
    assert [sorted(row) for row in answer] == [["account_id", "service_notice", "service_request_id"]]
    number = answer[0]["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.status == Status.REPORTED and case.source == Source.OTHER_SYSTEM
    assert case.created_by == client.user and case.region.code.startswith("441302001")
    assert case.contact_name == "李 雷" and case.contact_phone == "13812345678"
    assert Open311Request.objects.get(case=case).client == client
    # The operator finds it among the reports to accept in the command centre.
    operator = Client(HTTP_ACCEPT_LANGUAGE="en")
    operator.force_login(personas["operator"])
    queue = operator.get("/command/cases/", {"queue": "reported"})
    assert queue.status_code == 200 and number in queue.content.decode()
    # The public reads it back: open, in public words, without the reporter's data.
    root = xml_of(web.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    request = root[0]
    assert [c.tag for c in request] == REQUEST_FIELDS
    assert request.findtext("status") == "open" and request.findtext("service_code") == "E0102"
    assert request.findtext("requested_datetime").endswith("+08:00")
    body = web.get(f"{BASE}/requests/{number}.json").content.decode()
    assert "13812345678" not in body and "李" not in body and "li@example.com" not in body
    assert "138****5678" in body


def test_a_posted_request_answers_in_xml_and_its_token_leads_to_it(web, cases, client_key):
    _client, key = client_key
    root = xml_of(post(web, key, "xml", lat=str(cases.lat), long=str(cases.lon)))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    number = request.findtext("service_request_id")
    token = Open311Request.objects.get(case__number=number).token
    answer = json_of(web.get(f"{BASE}/tokens/{token}.json"))
    assert answer == [{"service_request_id": number, "token": token}]
    root = xml_of(web.get(f"{BASE}/tokens/{token}.xml"))
    assert [c.tag for c in root.find("request")] == ["service_request_id", "token"]
    assert_error(web.get(f"{BASE}/tokens/nothing-like-it.json"), 404)


def test_a_second_post_close_by_is_told_it_may_duplicate_the_first(web, cases, client_key):
    _client, key = client_key
    first = json_of(post(web, key, lat=str(cases.lat), long=str(cases.lon)))[0]["service_request_id"]
    second = json_of(post(web, key, lat=str(cases.lat + 0.0001), long=str(cases.lon)))[0]
    assert first in second["service_notice"]
    case = Case.objects.get(number=second["service_request_id"])
    assert case.status == Status.REPORTED  # the operator decides (merge as duplicate) from the panel


def test_a_facility_named_by_address_id_locates_a_component_report(web, cases, client_key):
    _client, key = client_key
    cover = facility_at(lon=cases.lon, lat=cases.lat, class_code="0101")
    number = json_of(post(web, key, service_code="C0101", address_id=cover.code))[0]["service_request_id"]
    assert Case.objects.get(number=number).facility == cover
    nearby = json_of(
        post(
            web,
            key,
            service_code="C0101",
            lat=str(cases.lat),
            long=str(cases.lon),
            **{
                "attribute[facility_code]": cover.code,
            },
        )  # fmt: skip
    )[0]["service_request_id"]
    assert Case.objects.get(number=nearby).facility == cover


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posting_without_a_good_key_is_forbidden_and_writes_nothing(web, cases, client_key, fmt):
    client, key = client_key
    where = {"lat": str(cases.lat), "long": str(cases.lon)}
    before = Case.objects.count()
    assert "api_key" in assert_error(post(web, None, fmt, **where), 403, fmt)
    assert_error(post(web, "not-a-key", fmt, **where), 403, fmt)
    client.revoke()
    assert_error(post(web, key, fmt, **where), 403, fmt)
    assert Case.objects.count() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_service_codes_and_places_are_refused_in_the_spec_format_and_write_nothing(web, cases, client_key, fmt):
    _client, key = client_key
    where = {"lat": str(cases.lat), "long": str(cases.lon)}
    before = Case.objects.count()
    assert "service_code" in assert_error(post(web, key, fmt, service_code="Z0000", **where), 400, fmt)
    assert_error(post(web, key, fmt, service_code="", **where), 400, fmt)
    assert "location" in assert_error(post(web, key, fmt), 400, fmt)
    assert_error(post(web, key, fmt, address_string="东湖路"), 400, fmt)
    assert_error(post(web, key, fmt, address_id="NO-SUCH-FACILITY"), 400, fmt)
    assert_error(post(web, key, fmt, lat="23.1", long="east"), 400, fmt)
    assert_error(post(web, key, fmt, lat="NaN", long="114.4"), 400, fmt)
    # Beijing is outside every grid of Huizhou.
    assert "outside" in assert_error(post(web, key, fmt, lat="39.9042", long="116.4074"), 400, fmt)
    assert_error(post(web, key, fmt, jurisdiction_id="sf.gov", **where), 404, fmt)
    assert_error(post(web, key, fmt, description="长" * 5000, **where), 400, fmt)
    assert Case.objects.count() == before and Open311Request.objects.count() == 0


@pytest.mark.usefixtures("steady_rate_windows")
def test_a_client_posting_too_fast_is_told_to_wait_with_429(web, cases, client_key, settings):
    settings.OPEN311_POSTS_PER_MINUTE = 2
    _client, key = client_key
    where = {"lat": str(cases.lat), "long": str(cases.lon)}
    assert post(web, key, **where).status_code == 200
    assert post(web, key, **where).status_code == 200
    assert_error(post(web, key, "xml", **where), 429, "xml")


def test_requests_are_listed_with_the_standard_filters_and_paging(web, cases, personas):
    now = timezone.now()
    old = cases.report(now=now - timedelta(days=100))
    fresh = cases.report(now=now - timedelta(days=2))
    closed = cases.to("closed", case=cases.report(now=now - timedelta(days=1)))
    listed = [row["service_request_id"] for row in json_of(web.get(f"{BASE}/requests.json"))]
    assert listed == [closed.number, fresh.number]  # newest first, 90 days back by default
    rows = json_of(web.get(f"{BASE}/requests.json", {"status": "closed"}))
    assert [(r["service_request_id"], r["status"]) for r in rows] == [(closed.number, "closed")]
    assert rows[0]["status_notes"] and rows[0]["agency_responsible"]
    assert [r["service_request_id"] for r in json_of(web.get(f"{BASE}/requests.json", {"status": "open"}))] == [
        fresh.number
    ]
    start = (now - timedelta(days=120)).astimezone(timezone.get_fixed_timezone(-300)).isoformat()
    end = (now - timedelta(days=50)).isoformat().replace("+00:00", "Z")
    root = xml_of(web.get(f"{BASE}/requests.xml", {"start_date": start, "end_date": end}))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [old.number]
    ids = f"{old.number},{closed.number}"
    assert len(json_of(web.get(f"{BASE}/requests.json", {"service_request_id": ids}))) == 2
    paged = json_of(web.get(f"{BASE}/requests.json", {"page": "2", "page_size": "1"}))
    assert [r["service_request_id"] for r in paged] == [fresh.number]
    assert json_of(web.get(f"{BASE}/requests.json", {"service_code": "E0103"})) == []
    assert len(json_of(web.get(f"{BASE}/requests.json", {"service_code": "E0102"}))) == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_unknown_requests_and_other_jurisdictions_answer_in_the_spec_format(web, cases, fmt):
    url = f"{BASE}/requests.{fmt}"
    assert "start_date" in assert_error(web.get(url, {"start_date": "yesterday"}), 400, fmt)
    assert_error(web.get(url, {"start_date": "2026-11-05T08:15:30"}), 400, fmt)  # no offset
    assert_error(web.get(url, {"end_date": "2026-02-30T00:00:00Z"}), 400, fmt)
    assert_error(web.get(url, {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}), 400, fmt)
    assert_error(web.get(url, {"start_date": "2026-06-01", "end_date": "2026-05-01"}), 400, fmt)
    assert_error(web.get(url, {"end_date": "0001-01-01T00:00:00Z"}), 400, fmt)
    assert_error(web.get(url, {"status": "pending"}), 400, fmt)
    assert_error(web.get(url, {"service_code": "nope"}), 400, fmt)
    assert_error(web.get(url, {"page_size": "5000"}), 400, fmt)
    assert_error(web.get(url, {"page": "²"}), 400, fmt)
    assert_error(web.get(url, {"jurisdiction_id": "sf.gov"}), 404, fmt)
    assert_error(web.get(f"{BASE}/requests/E0102209901010001.{fmt}"), 404, fmt)
    assert_error(web.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "dc.gov"}), 404, fmt)
    assert web.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "huizhou.gov.cn"}).status_code == 200
    assert_error(web.get(f"{BASE}/services.html"), 404, "xml")
    assert_error(web.get(f"{BASE}/no-such-resource.{fmt}"), 404, fmt)


def test_the_command_adds_a_client_and_prints_its_key_once(web, cases, capsys):
    call_command("open311_client", "add", "惠州 i 城管 App", "--contact", "app@huizhou.example")
    key = capsys.readouterr().out.strip()
    assert len(key) > 30
    assert post(web, key, lat=str(cases.lat), long=str(cases.lon)).status_code == 200
    call_command("open311_client", "key", "惠州 i 城管 App")
    new_key = capsys.readouterr().out.strip()
    assert_error(post(web, key, lat=str(cases.lat), long=str(cases.lon)), 403)
    call_command("open311_client", "revoke", "惠州 i 城管 App")
    assert_error(post(web, new_key, lat=str(cases.lat), long=str(cases.lon)), 403)


def test_the_admin_shows_a_new_clients_key_once_and_issues_and_revokes_keys(admin_client, web, cases):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    from cases.models import Open311Client

    response = admin_client.post(
        "/admin/cases/open311client/add/", {"name": "12345 政务服务平台", "contact": "12345"}, follow=True
    )
    page = response.content.decode()
    client = Open311Client.objects.get(name="12345 政务服务平台")
    key = page.split("New api_key of “12345 政务服务平台”: ")[1].split(" ")[0]
    assert client.key_prefix == key[:8] and client.user.has_usable_password() is False
    assert post(web, key, lat=str(cases.lat), long=str(cases.lon)).status_code == 200
    changelist = "/admin/cases/open311client/"
    page = admin_client.post(
        changelist, {"action": "issue_new_key", "_selected_action": [client.pk]}, follow=True
    ).content.decode()
    new_key = page.split("New api_key of “12345 政务服务平台”: ")[1].split(" ")[0]
    assert new_key != key and Open311Client.find_by_key(key) is None
    admin_client.post(changelist, {"action": "revoke_key", "_selected_action": [client.pk]})
    assert_error(post(web, new_key, lat=str(cases.lat), long=str(cases.lon)), 403)
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get("/admin/cases/open311request/").status_code == 200


def test_the_request_list_reads_3_and_30_requests_in_the_same_number_of_queries(web, cases):
    def queries_after_adding(count):
        for _ in range(count):
            cases.to("handling", case=cases.report())
        with CaptureQueriesContext(connection) as captured:
            rows = json_of(web.get(f"{BASE}/requests.json"))
        assert all(row["agency_responsible"] for row in rows)
        return len(rows), len(captured)

    three, few = queries_after_adding(3)
    thirty, many = queries_after_adding(27)
    assert (three, thirty) == (3, 30)
    assert few == many


def test_with_redis_down_the_limits_are_not_enforced_and_requests_are_still_taken(cases, client_key, settings):
    closed = "redis://127.0.0.1:1/0"
    settings.CACHES = {"default": {"BACKEND": "huizhou_cityops.cache.FallbackRedisCache", "LOCATION": closed}}
    settings.OPEN311_POSTS_PER_MINUTE = 1
    _client, key = client_key
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        assert post(web, key, lat=str(cases.lat), long=str(cases.lon)).status_code == 200
    assert_error(post(web, "wrong-key", lat=str(cases.lat), long=str(cases.lon)), 403)
