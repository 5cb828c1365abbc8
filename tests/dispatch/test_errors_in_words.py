"""Every error the pages show is said in words: no internal code (a refusal's code, a status or action name, an
HTTP status) reaches the user's eyes in the case panel or the list."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from cases.models import Status
from cases.workflow import ACTIONS, actions
from cases.workflow.spec import Guard
from dispatch.events import event_label

pytestmark = pytest.mark.django_db

CODES = {
    *(g.code for g in vars(actions).values() if isinstance(g, Guard)),
    "not_permitted",
    "wrong_status",
    "conflict",
    *(s.value for s in Status),
    *ACTIONS,
}


class VisibleText(HTMLParser):
    """The text a reader sees: element text, not attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(response):
    parser = VisibleText()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def assert_in_words(response, status, *expected):
    assert response.status_code == status, response.content[:300]
    text = visible(response)
    leaked = {word for word in re.findall(r"[a-z]+(?:_[a-z]+)+|\b[45]\d\d\b", text) if word in CODES or word.isdigit()}
    assert not leaked, f"internal codes shown to the user: {leaked}"
    for words in expected:
        assert words in text
    return text


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, HTTP_HX_REQUEST="true")
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_refusals_conflicts_and_field_errors_in_the_panel_are_words(cases, personas, language, settings):
    settings.LANGUAGE_CODE = language
    report = cases.report()  # a grid worker's own report
    operator = client_for(personas["operator"], language)
    url = f"/command/cases/{report.pk}/actions/"
    # a guard's refusal (own_report), the wrong status (wrong_status), a role's refusal (not_permitted)
    for action in ("request_verification", "close", "approve_return"):
        response = operator.post(url + f"{action}/", {"note": "x"})
        assert response.status_code in (403, 409)
        text = assert_in_words(response, response.status_code)
        assert re.search(r'class="notice notice-(error|conflict)"[^>]*>[^<\s]', response.content.decode()), text
    # a field error
    waiting = cases.to("to_register")
    response = client_for(personas["shift_lead"], language).post(f"/command/cases/{waiting.pk}/actions/register/", {})
    assert_in_words(response, 422)
    assert 'id="register-filing_condition-err"' in response.content.decode()
    # out of scope
    assert_in_words(client_for(personas["outsider"], language).get(f"/command/cases/{report.pk}/"), 404)


def test_the_english_refusals_name_what_went_wrong(cases, personas):
    report = cases.report()
    operator = client_for(personas["operator"])
    url = f"/command/cases/{report.pk}/actions/"
    assert_in_words(operator.post(url + "request_verification/"), 409, "needs no verification")
    assert_in_words(operator.post(url + "close/"), 403, "do not allow")
    assert_in_words(operator.post(url + "request_check/", {"assignee": "p-grid"}), 409, "is not possible")


def test_a_broken_list_request_is_said_in_words(personas):
    response = client_for(personas["operator"]).get("/command/cases/?queue=all&cursor=zz&size=0")
    assert_in_words(response, 200, "This page link is out of date", "greater than or equal to 1")


def test_a_timeline_never_shows_an_event_s_internal_name():
    assert str(event_label("something_new_here")) == "Other change"
    assert str(event_label("dispatch")) == str(ACTIONS["dispatch"].label)


def test_failed_requests_are_explained_by_the_page_not_by_a_status_code(personas):
    body = Client(HTTP_ACCEPT_LANGUAGE="en")
    body.force_login(personas["operator"])
    page = body.get("/command/").content.decode()
    assert 'name="cityops-request-problems"' in page
    assert "No connection to the server" in page and "try again in a moment" in page
